"""Injection campaigns per source and toxic answers, counted per window."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest

from redline import fit_reference
from redline.domain import Level
from redline.llm.campaigns import CampaignRule, InjectionCampaigns, ToxicOutputs
from redline.llm.watch import flag_rate
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

COLUMN = "prompt_injection_score"


def window(reference: Reference) -> WindowProfile:
    return WindowProfile.empty(reference, start=datetime(2026, 12, 7, tzinfo=UTC))


def send(
    watch: InjectionCampaigns, source: str | None, n: int, flagged: int, start: int = 0
) -> None:
    for i in range(n):
        call = {
            "source": source,
            "request_id": f"{source}-{start + i}",
            "prompt": f"prompt {i} " * 30,
        }
        watch.add(call, {COLUMN: 0.9 if i < flagged else 0.0})


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed term by term (the test's own oracle)."""
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


def test_a_source_sending_injections_is_named_with_counts_ids_and_short_excerpts(
    llm_reference: Reference,
) -> None:
    watch = InjectionCampaigns(COLUMN, base_rate=0.0)
    send(watch, "key-attacker", 10, 6)
    send(watch, "key-ok", 50, 0)
    (signal,) = watch.signals("bot", window(llm_reference))
    assert (signal.kind, signal.level, signal.value) == ("prompt_injection", Level.ALARM, 6.0)
    evidence = signal.evidence
    assert (evidence["source"], evidence["count"], evidence["requests"]) == ("key-attacker", 6, 10)
    assert evidence["request_ids"] == [f"key-attacker-{i}" for i in range(6)]
    assert evidence["base_rate"] == 0.01  # never below the stated floor
    assert evidence["p_value"] == pytest.approx(binomial_tail(6, 10, 0.01), rel=1e-9)
    assert len(evidence["excerpts"]) == 5
    assert all(len(e) <= 80 for e in evidence["excerpts"])
    assert watch.signals("bot", window(llm_reference)) == []  # tallies start again


def test_ordinary_traffic_with_an_occasional_false_positive_raises_nothing(
    llm_reference: Reference,
) -> None:
    rng = np.random.default_rng(7)
    watch = InjectionCampaigns(COLUMN, base_rate=0.01)
    for i in range(5_000):
        source = f"key-{i % 20}"
        flagged = rng.random() < 0.01
        watch.add({"source": source, "request_id": str(i)}, {COLUMN: 0.9 if flagged else 0.1})
    assert watch.signals("bot", window(llm_reference)) == []


@pytest.mark.parametrize(
    ("requests", "flagged", "base_rate", "fires"),
    [
        (10, 5, 0.01, True),  # the minimum count at half the source's requests
        (10, 4, 0.01, False),  # below the minimum count
        (100, 10, 0.01, False),  # a tenth of the source's traffic: below the share
        (10, 6, 0.3, False),  # a reference that flags 30%: 6 of 10 is no surprise
        (40, 40, 0.3, True),
    ],
)
def test_count_share_and_binomial_tail_all_must_hold(
    llm_reference: Reference, requests: int, flagged: int, base_rate: float, fires: bool
) -> None:
    watch = InjectionCampaigns(COLUMN, base_rate=base_rate)
    send(watch, "key-a", requests, flagged)
    assert bool(watch.signals("bot", window(llm_reference))) is fires


def test_requests_without_a_source_join_no_campaign(llm_reference: Reference) -> None:
    watch = InjectionCampaigns(COLUMN, rule=CampaignRule(min_count=1, min_share=0.0))
    send(watch, None, 20, 20)
    assert watch.signals("bot", window(llm_reference)) == []


def test_the_base_rate_is_the_reference_share_over_the_threshold() -> None:
    scores = np.r_[np.zeros(900), np.full(100, 0.9)]
    reference = fit_reference({COLUMN: scores}, window_sizes=[50])
    assert flag_rate(reference, COLUMN, 0.5) == pytest.approx(0.1, abs=0.02)
    clean = fit_reference({COLUMN: np.zeros(1000)}, window_sizes=[50])
    assert flag_rate(clean, COLUMN, 0.5) == 0.0
    assert flag_rate(clean, "no_such_column", 0.5) is None


@pytest.mark.parametrize(("toxic", "level"), [(0, None), (1, Level.ALARM), (10, Level.CRITICAL)])
def test_toxic_answers_alarm_and_many_are_critical(
    llm_reference: Reference, toxic: int, level: Level | None
) -> None:
    watch = ToxicOutputs("output_toxicity_score", threshold=0.5, many=10)
    for i in range(30):
        watch.add({"request_id": str(i)}, {"output_toxicity_score": 0.8 if i < toxic else 0.2})
    found = watch.signals("bot", window(llm_reference))
    assert [s.level for s in found] == ([level] if level else [])
    if found:
        assert found[0].evidence["request_ids"] == [str(i) for i in range(toxic)]
