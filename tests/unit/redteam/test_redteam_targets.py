"""Targets: the HTTP endpoint's answers and failures (via httpx.MockTransport), python targets."""

from __future__ import annotations

import json

import httpx
import pytest

from redline.errors import DataError
from redline.redteam.config import TargetSpec, build_target, merge_limits, parse_limit
from redline.redteam.targets import HttpTarget, TargetError, TransientTargetError

MESSAGES = [{"role": "user", "content": "hi"}]


def _target(handler: httpx.MockTransport) -> HttpTarget:
    return HttpTarget("http://model.test/predict", answer_field="answer", transport=handler)


def test_the_messages_are_posted_and_the_answer_field_read() -> None:
    sent: list[dict[str, object]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"answer": "hello"})

    assert _target(httpx.MockTransport(handle))(MESSAGES) == "hello"
    assert sent == [{"messages": MESSAGES}]


def test_a_plain_text_body_is_the_answer() -> None:
    target = _target(httpx.MockTransport(lambda r: httpx.Response(200, text="plain")))
    assert target(MESSAGES) == "plain"


@pytest.mark.parametrize(
    ("response", "error", "retry_after_s"),
    [
        (httpx.Response(429, headers={"Retry-After": "2"}), TransientTargetError, 2.0),
        (httpx.Response(503), TransientTargetError, None),
        (httpx.Response(400, text="bad"), TargetError, None),
        (httpx.Response(200, json={"text": "wrong field"}), TargetError, None),
    ],
)
def test_failures_are_transient_or_permanent(
    response: httpx.Response, error: type[Exception], retry_after_s: float | None
) -> None:
    target = _target(httpx.MockTransport(lambda r: response))
    with pytest.raises(error) as raised:
        target(MESSAGES)
    if isinstance(raised.value, TransientTargetError):
        assert raised.value.retry_after_s == retry_after_s


def test_a_connection_failure_is_transient() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransientTargetError, match="ConnectError"):
        _target(httpx.MockTransport(refuse))(MESSAGES)


def test_python_targets_need_trust() -> None:
    with pytest.raises(DataError, match="--trust-artifacts"):
        build_target(TargetSpec("python:json:dumps"))
    target = build_target(TargetSpec("python:json:dumps", trust=True))
    assert json.loads(target(MESSAGES)) == MESSAGES
    assert target.name == "python:json:dumps"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (TargetSpec("openai"), "--base-url URL and --model"),
        (TargetSpec("http"), "--base-url"),
        (TargetSpec("grpc"), "unknown target 'grpc'"),
        (TargetSpec("python:not a reference", trust=True), "not a module:function"),
        (TargetSpec("registry:chat:v1"), "needs the store"),
        (TargetSpec("registry:chat"), "registry:MODEL:VERSION"),
    ],
)
def test_incomplete_target_specs_say_what_is_missing(spec: TargetSpec, message: str) -> None:
    with pytest.raises(DataError, match=message):
        build_target(spec)


def test_limits_parse_and_flags_override_the_playbook() -> None:
    assert parse_limit("jailbreak=0.05") == ("jailbreak", 0.05)
    assert merge_limits({"jailbreak": 0.1, "*": 0.2}, ["jailbreak=0", "encoding=1"]) == {
        "jailbreak": 0.0,
        "*": 0.2,
        "encoding": 1.0,
    }
    for bad in ("jailbreak", "jailbreak=high", "=0.1", "jailbreak=1.5"):
        with pytest.raises(DataError, match="family=RATE"):
            parse_limit(bad)
