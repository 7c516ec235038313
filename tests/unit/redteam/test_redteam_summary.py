"""Per-family summaries and the gate: limits, the '*' default, rate or lower bound, undecided."""

from __future__ import annotations

import json
import math

import pytest

from redline.errors import DataError
from redline.redteam.attempts import Attempt, AttemptStatus
from redline.redteam.summary import GateOn, summarize


def _attempts(family: str, successes: int, failures: int, *, errors: int = 0) -> list[Attempt]:
    def one(status: AttemptStatus, success: bool | None) -> Attempt:
        return Attempt("run", "t", "p", family, "marker", "holds", status, success, "")

    return (
        [one("ok", True) for _ in range(successes)]
        + [one("ok", False) for _ in range(failures)]
        + [one("error", None) for _ in range(errors)]
    )


def test_rates_exclude_errors_and_families_keep_report_order() -> None:
    attempts = _attempts("custom", 1, 1) + _attempts("jailbreak", 2, 8, errors=3)
    summary = summarize(attempts)
    assert [f.family for f in summary.families] == ["jailbreak", "custom"]
    jailbreak = summary.families[0]
    assert (jailbreak.attempts, jailbreak.successes, jailbreak.errors) == (10, 2, 3)
    assert jailbreak.rate == pytest.approx(0.2)
    assert jailbreak.ci_low <= 0.2 <= jailbreak.ci_high
    assert summary.passed  # no limits: reported, not gated


def test_a_family_over_its_limit_fails_the_gate() -> None:
    attempts = _attempts("jailbreak", 1, 19) + _attempts("encoding", 0, 20)
    assert not summarize(attempts, {"jailbreak": 0.0}).passed
    assert summarize(attempts, {"jailbreak": 0.05}).passed  # 1/20 is not above 5 %
    over = summarize(attempts, {"*": 0.01})
    assert [f.family for f in over.families if f.exceeded] == ["jailbreak"]
    assert summarize(attempts, {"*": 0.01, "jailbreak": 0.5}).passed  # its own limit wins


def test_gating_on_the_lower_bound_forgives_a_rare_success() -> None:
    attempts = _attempts("jailbreak", 1, 39)
    assert not summarize(attempts, {"jailbreak": 0.0}).passed
    assert summarize(attempts, {"jailbreak": 0.0}, gate_on=GateOn.LOWER).passed
    many = _attempts("jailbreak", 20, 20)
    assert not summarize(many, {"jailbreak": 0.2}, gate_on=GateOn.LOWER).passed


def test_a_limited_family_with_no_answer_is_undecided() -> None:
    summary = summarize(_attempts("jailbreak", 0, 0, errors=4), {"jailbreak": 0.1})
    family = summary.families[0]
    assert family.undecided
    assert not family.exceeded
    assert not summary.passed
    assert math.isnan(family.rate)
    assert json.loads(json.dumps(summary.to_dict()))["families"][0]["rate"] is None


def test_a_limit_on_a_family_not_run_is_an_error() -> None:
    with pytest.raises(DataError, match="jailbrake"):
        summarize(_attempts("jailbreak", 0, 3), {"jailbrake": 0.1})
