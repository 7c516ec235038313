"""Runaway generation: loops, token and cost spikes against the reference, with a token cap."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from redline import fit_reference
from redline.domain import Level, Signal
from redline.llm.runaway import Baseline, RunawayRule, RunawayWatch, suggested_max_tokens
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

# the shared reference: completion tokens 6..9 (mean 7.5), cost at "tiny" prices, no loops


def run(watch: RunawayWatch, reference: Reference, answers: list[dict[str, Any]]) -> list[Signal]:
    for i, metrics in enumerate(answers):
        watch.add({"request_id": f"r{i}", "answer": "text"}, metrics)
    return watch.signals(
        "bot", WindowProfile.empty(reference, start=datetime(2026, 12, 7, tzinfo=UTC))
    )


def answers(n: int, tokens: float = 7.0, **extra: Any) -> list[dict[str, Any]]:
    base = {"completion_tokens": tokens, "cost_usd": math.nan, "repetition_ratio": 0.0}
    return [{**base, "finish_reason": "stop", **extra} for _ in range(n)]


def test_the_baseline_and_the_cap_come_from_the_reference(llm_reference: Reference) -> None:
    base = Baseline.of(llm_reference, RunawayRule())
    tokens = np.asarray([6 + i % 4 for i in range(400)], dtype=float)
    assert base.completion_tokens == pytest.approx(tokens.mean())
    assert base.loop_share == 0.0
    assert base.max_tokens == math.ceil(1.25 * np.percentile(tokens, 99))


def test_the_cap_is_the_p99_with_a_quarter_of_headroom() -> None:
    tokens = np.random.default_rng(3).gamma(2.0, 100.0, size=20_000)
    reference = fit_reference({"completion_tokens": tokens}, window_sizes=[100])
    cap = suggested_max_tokens(reference)
    assert cap is not None
    assert cap == pytest.approx(1.25 * np.percentile(tokens, 99), rel=0.03)
    assert suggested_max_tokens(fit_reference({"x": tokens}, window_sizes=[100])) is None


@pytest.mark.parametrize(
    ("tokens", "level"), [(7.0, None), (14.0, None), (16.0, Level.WARNING), (31.0, Level.ALARM)]
)
def test_a_token_spike_warns_at_twice_the_mean_and_alarms_at_four_times(
    llm_reference: Reference, tokens: float, level: Level | None
) -> None:
    found = run(RunawayWatch(llm_reference), llm_reference, answers(20, tokens))
    spikes = [s for s in found if s.kind == "token_spike"]
    assert [s.level for s in spikes] == ([level] if level else [])
    if spikes:
        assert spikes[0].value == pytest.approx(tokens / 7.5)
        assert spikes[0].evidence["max_tokens"] == 12


def test_a_cost_spike_is_its_own_signal(llm_reference: Reference) -> None:
    cost = 0.01725 * 5
    (signal,) = run(RunawayWatch(llm_reference), llm_reference, answers(20, cost_usd=cost))
    assert (signal.kind, signal.level) == ("cost_spike", Level.ALARM)


def test_too_few_answers_say_nothing(llm_reference: Reference) -> None:
    assert run(RunawayWatch(llm_reference), llm_reference, answers(9, 100.0)) == []


@pytest.mark.parametrize(("loops", "level"), [(2, None), (3, Level.WARNING), (5, Level.ALARM)])
def test_loops_count_repetitive_answers_and_length_cut_ones(
    llm_reference: Reference, loops: int, level: Level | None
) -> None:
    window = answers(20)
    for i in range(loops):  # half looping by repetition, half cut at the token budget
        window[i] = (
            {**window[i], "repetition_ratio": 0.8}
            if i % 2
            else {**window[i], "finish_reason": "length"}
        )
    found = [
        s
        for s in run(RunawayWatch(llm_reference), llm_reference, window)
        if s.kind == "generation_loop"
    ]
    assert [s.level for s in found] == ([level] if level else [])
    if found:
        assert found[0].value == pytest.approx(loops / 20)
        assert found[0].evidence["request_ids"] == [f"r{i}" for i in range(loops)]


def test_calls_without_an_answer_are_not_counted(llm_reference: Reference) -> None:
    watch = RunawayWatch(llm_reference)
    for i in range(30):
        watch.add({"request_id": str(i), "answer": None}, {"completion_tokens": 500.0})
    assert watch.signals("bot", WindowProfile.empty(llm_reference, start=None)) == []
