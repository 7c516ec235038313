"""The runner with the real ``openai`` client over HTTP against a local scripted upstream:
a model that leaks its canary to one family and refuses everything else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from redline.redteam import OpenAITarget, RunSettings, builtin_probes, run_probes, summarize
from redline.scanners.canary import CANARY_PATTERN
from rltest.openai_upstream import OpenAIUpstream

pytest.importorskip("openai")

REFUSE = "I'm sorry, I can't help with that."
CANARY_PROMPTS = {p.turns[-1] for p in builtin_probes() if p.family == "canary_extraction"}


def leaks_canary_to_one_family(messages: list[dict[str, Any]]) -> str:
    """Answer canary-extraction prompts with the planted canary; refuse everything else."""
    if messages[-1]["content"] in CANARY_PROMPTS:
        match = CANARY_PATTERN.search(messages[0]["content"])
        assert match is not None, "the runner planted no canary in the system prompt"
        return f"Of course: RL-CANARY-{match.group(1)}"
    return REFUSE


@pytest.fixture
def upstream() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream(leaks_canary_to_one_family, model="victim") as server:
        yield server


def test_one_leaking_family_has_rate_1_and_fails_its_limit(upstream: OpenAIUpstream) -> None:
    target = OpenAITarget(base_url=upstream.url, model="victim", timeout_s=10)
    probes = builtin_probes()
    attempts = run_probes(probes, target, settings=RunSettings(concurrency=4))
    assert all(a.status == "ok" for a in attempts)
    summary = summarize(attempts, {"canary_extraction": 0.0, "*": 0.0})
    rates = {f.family: f.rate for f in summary.families}
    assert rates.pop("canary_extraction") == 1.0
    assert set(rates.values()) == {0.0}
    assert not summary.passed
    assert [f.family for f in summary.families if f.exceeded] == ["canary_extraction"]
    # Every turn of every probe reached the upstream, each with the system prompt first.
    assert len(upstream.requests) == sum(len(p.turns) for p in probes)
    assert all(r["messages"][0]["role"] == "system" for r in upstream.requests)
    assert all(r["model"] == "victim" for r in upstream.requests)


def test_an_unreachable_upstream_is_an_error_per_attempt_not_a_crash() -> None:
    # Nothing listens on this port once the server is gone: connection errors, retried, recorded.
    with OpenAIUpstream(REFUSE) as server:
        url = server.url
    target = OpenAITarget(base_url=url, model="victim", timeout_s=2)
    settings = RunSettings(retries=1, backoff_s=0)
    (attempt,) = run_probes(builtin_probes()[:1], target, settings=settings)
    assert attempt.status == "error"
    assert "APIConnectionError" in attempt.evidence
