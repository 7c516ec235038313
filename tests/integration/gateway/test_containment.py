"""Containment applied through the store reaches the gateway within its route poll."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from redline.domain import ActionType, Route
from redline.services import apply_action
from redline.store import Store
from rltest.openai_upstream import OpenAIUpstream
from rltest.waiting import wait_for

openai = pytest.importorskip("openai")

USER = [{"role": "user", "content": "where is my refund"}]
CANNED = "The assistant is paused; a person will answer you shortly."


@pytest.fixture
def upstreams() -> Iterator[tuple[OpenAIUpstream, OpenAIUpstream]]:
    with (
        OpenAIUpstream("From the primary.", model="tiny") as primary,
        OpenAIUpstream("From the backup model.", model="backup") as backup,
    ):
        yield primary, backup


def _yaml(primary: str, backup: str, reference: Path, store: str) -> str:
    return f"""
upstreams:
  main: {{base_url: "{primary}"}}
  spare: {{base_url: "{backup}"}}
models:
  support:
    upstream: main
    upstream_model: tiny
    reference: {reference}
    scanners: {{use: none}}
    safe_response: "{CANNED}"
  billing:
    upstream: main
    upstream_model: tiny
    reference: {reference}
    scanners: {{use: none}}
    fallback: {{upstream: spare, model: backup}}
source: [user, ip]
store: "{store}"
route_poll_s: 0.05
window_s: 3600
"""


def _apply(url: str, model: str, type: ActionType, **params: Any) -> None:
    store = Store.from_url(url)
    try:
        apply_action(store, model=model, type=type, trigger="person:test", params=params)
    finally:
        store.dispose()


def test_a_kill_switch_serves_the_canned_answer_or_the_fallback_model(
    upstreams: tuple[OpenAIUpstream, OpenAIUpstream],
    reference_path: Path,
    migrated_url: str,
    serving: Callable[..., Any],
    tmp_path: Path,
) -> None:
    primary, backup = upstreams
    text = _yaml(primary.url, backup.url, reference_path, migrated_url)
    with serving(text, tmp_path) as (gateway, url):
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)

        def answer(model: str) -> str:
            reply = client.chat.completions.create(model=model, messages=USER)
            return str(reply.choices[0].message.content)

        assert answer("support") == answer("billing") == "From the primary."
        for model in ("support", "billing"):
            _apply(migrated_url, model, ActionType.KILL_SWITCH)
        wait_for(lambda: all(g.guard.route.mode is Route.FALLBACK for g in gateway.guards.values()))
        assert answer("support") == CANNED
        assert answer("billing") == "From the backup model."
        streamed = client.chat.completions.create(model="support", messages=USER, stream=True)
        assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == CANNED
        client.close()
    assert len(primary.requests) == 2
    assert [r["model"] for r in backup.requests] == ["backup"]


def test_a_blocked_source_is_refused_with_a_403(
    upstreams: tuple[OpenAIUpstream, OpenAIUpstream],
    reference_path: Path,
    migrated_url: str,
    serving: Callable[..., Any],
    tmp_path: Path,
) -> None:
    primary, backup = upstreams
    text = _yaml(primary.url, backup.url, reference_path, migrated_url)
    with serving(text, tmp_path) as (gateway, url):
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
        client.chat.completions.create(model="support", messages=USER, user="mallory")
        _apply(migrated_url, "support", ActionType.BLOCK_SOURCE, source="mallory")
        wait_for(lambda: gateway.guards["support"].guard.route.blocked_sources == ("mallory",))
        with pytest.raises(openai.PermissionDeniedError) as refused:
            client.chat.completions.create(model="support", messages=USER, user="mallory")
        kept = client.chat.completions.create(model="support", messages=USER, user="alice")
        client.close()
    assert refused.value.code == "blocked"
    assert kept.choices[0].message.content == "From the primary."
    assert len(primary.requests) == 2


def test_generation_limits_from_the_store_cap_what_the_upstream_is_asked(
    upstreams: tuple[OpenAIUpstream, OpenAIUpstream],
    reference_path: Path,
    migrated_url: str,
    serving: Callable[..., Any],
    tmp_path: Path,
) -> None:
    primary, backup = upstreams
    text = _yaml(primary.url, backup.url, reference_path, migrated_url)
    with serving(text, tmp_path) as (gateway, url):
        client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0)
        _apply(migrated_url, "support", ActionType.LIMIT_GENERATION, max_tokens=2, temperature=0.1)
        wait_for(lambda: gateway.guards["support"].guard.route.generation_limits is not None)
        capped = client.chat.completions.create(
            model="support", messages=USER, max_tokens=500, temperature=0.9
        )
        client.close()
    (sent,) = primary.requests
    assert (sent["max_tokens"], sent["temperature"]) == (2, 0.1)
    assert (capped.choices[0].message.content, capped.choices[0].finish_reason) == (
        "From the",
        "length",
    )
