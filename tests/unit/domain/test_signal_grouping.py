"""Dedup keys, grouping into open incidents by related kinds, and snoozes with expiry and reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from redline.domain import Level, Signal, Snooze, dedup_key, is_snoozed, should_group
from redline.domain.grouping import DEFAULT_GROUP_WINDOW_S, active_snooze, joins, split_unrelated
from redline.domain.kinds import related

NOW = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)


def sig(model: str | None = "churn", end: datetime | None = NOW, **kw: Any) -> Signal:
    return Signal(
        monitor=kw.pop("monitor", "numeric_drift"),
        kind=kw.pop("kind", "feature_drift"),
        column=kw.pop("column", "age"),
        statistic="psi",
        value=kw.pop("value", 0.4),
        threshold=0.2,
        level=Level.ALARM,
        window_end=end,
        model=model,
        **kw,
    )


def test_dedup_key_is_the_fingerprint_and_ignores_values_and_times() -> None:
    first, again = sig(value=0.4), sig(value=0.9, end=NOW + timedelta(hours=1))
    assert dedup_key(first) == first.fingerprint == dedup_key(again)
    assert dedup_key(sig(column="income")) != dedup_key(first)
    assert dedup_key(sig(model="fraud")) != dedup_key(first)


def test_default_group_window_is_thirty_minutes() -> None:
    assert DEFAULT_GROUP_WINDOW_S == 1800.0


@pytest.mark.parametrize(
    ("incident_model", "last_at", "signal", "grouped"),
    [
        ("churn", NOW - timedelta(minutes=10), sig(), True),
        ("churn", NOW - timedelta(minutes=30), sig(), True),
        ("churn", NOW - timedelta(minutes=31), sig(), False),
        ("churn", NOW + timedelta(minutes=5), sig(), True),  # a late-arriving window
        ("fraud", NOW - timedelta(minutes=1), sig(), False),
        (None, NOW, sig(model=None), True),
        (None, NOW, sig(), False),
    ],
)
def test_should_group(
    incident_model: str | None, last_at: datetime, signal: Signal, grouped: bool
) -> None:
    assert should_group(incident_model, last_at, signal) is grouped


def test_should_group_with_a_custom_window_and_explicit_time() -> None:
    last = NOW - timedelta(minutes=50)
    assert not should_group("churn", last, sig())
    assert should_group("churn", last, sig(), window_s=3600)
    timeless = sig(end=None)
    assert should_group("churn", last, timeless, at=last + timedelta(minutes=1))
    with pytest.raises(ValueError, match="has no window time"):
        should_group("churn", last, timeless)


def test_should_group_falls_back_to_window_start() -> None:
    started = Signal("m", "latency", None, "p99", 900.0, 500.0, Level.WARNING, window_start=NOW)
    assert should_group(None, NOW, started)


@pytest.mark.parametrize(
    ("last_at", "signal", "window_s", "message"),
    [
        (NOW.replace(tzinfo=None), sig(), 60.0, "timezone-aware"),
        (NOW, sig(end=NOW.replace(tzinfo=None)), 60.0, "timezone-aware"),
        (NOW, sig(), 0.0, "window_s must be positive"),
    ],
)
def test_should_group_rejects_bad_input(
    last_at: datetime, signal: Signal, window_s: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        should_group("churn", last_at, signal, window_s)


def test_snooze_needs_a_reason_a_pattern_and_an_aware_expiry() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        Snooze("churn|*", NOW, "")
    with pytest.raises(ValueError, match="needs a reason"):
        Snooze("churn|*", NOW, "   ")
    with pytest.raises(ValueError, match="fingerprint pattern"):
        Snooze("", NOW, "known batch job")
    with pytest.raises(ValueError, match="timezone-aware"):
        Snooze("churn|*", NOW.replace(tzinfo=None), "known batch job")


def test_snooze_matches_by_glob_until_it_expires() -> None:
    snooze = Snooze("churn|numeric_drift|*|age", NOW + timedelta(hours=2), "backfill tonight")
    assert is_snoozed(sig(), [snooze], NOW)
    assert is_snoozed(sig(), [snooze], NOW + timedelta(hours=1, minutes=59))
    assert not is_snoozed(sig(), [snooze], NOW + timedelta(hours=2))  # until must be after now
    assert not is_snoozed(sig(), [snooze], NOW + timedelta(hours=3))
    assert not is_snoozed(sig(column="income"), [snooze], NOW)
    assert not is_snoozed(sig(model="fraud"), [snooze], NOW)
    assert not is_snoozed(sig(), [], NOW)


def test_active_snooze_says_which_one_applies() -> None:
    expired = Snooze("*", NOW - timedelta(seconds=1), "yesterday's deploy")
    other = Snooze("fraud|*", NOW + timedelta(days=1), "fraud retrain")
    live = Snooze("churn|*", NOW + timedelta(days=1), "churn backfill")
    assert active_snooze(sig(), [expired, other, live], NOW) is live
    with pytest.raises(ValueError, match="timezone-aware"):
        active_snooze(sig(), [live], NOW.replace(tzinfo=None))


def test_snooze_round_trip() -> None:
    snooze = Snooze("churn|*", NOW + timedelta(hours=1), "backfill")
    assert Snooze.from_dict(snooze.to_dict()) == snooze


DRIFT = ["feature_drift", "prediction_drift", "confidence_drop"]
INTEGRITY = ["mapping_error", "missing_column", "null_jump", "out_of_range", "type_violation",
             "unseen_categories"]  # fmt: skip
PERFORMANCE = ["performance_drop", "bias"]
#: Which families may share an incident, written out; every kind pair below is checked against it.
FAMILIES = {
    **dict.fromkeys(DRIFT, "drift"),
    **dict.fromkeys(INTEGRITY, "integrity"),
    **dict.fromkeys(PERFORMANCE, "performance"),
    "source_share": "traffic",
    "canary_failure": "release",
    "latency": "serving",
    "outage": "serving",
    "pii_leak": "privacy",
    "canary_leak": "privacy",
}
TOGETHER = {
    frozenset(p)
    for p in [("drift", "performance"), ("drift", "integrity"), ("integrity", "performance"),
              ("traffic", "drift"), ("traffic", "integrity"), ("release", "drift"),
              ("release", "performance")]
}  # fmt: skip
ALL_KINDS = [*FAMILIES, "external_alert", "upstream_firing"]


@pytest.mark.parametrize("first", ALL_KINDS)
@pytest.mark.parametrize("second", ALL_KINDS)
def test_related_over_every_kind_pair(first: str, second: str) -> None:
    a, b = FAMILIES.get(first), FAMILIES.get(second)
    expected = first == second or (
        a is not None and b is not None and (a == b or frozenset({a, b}) in TOGETHER)
    )
    assert related(first, second) is expected
    assert related(second, first) is expected


@pytest.mark.parametrize(
    ("incident", "new", "joined"),
    [
        (["latency"], ["feature_drift"], False),  # issue 9: drift joined a latency incident
        (["latency"], ["performance_drop"], False),
        (["latency"], ["outage"], True),
        (["feature_drift"], ["performance_drop"], True),
        (["feature_drift"], ["out_of_range"], True),  # a unit change shows as both
        (["out_of_range"], ["mapping_error", "latency"], True),
        (["pii_leak"], ["feature_drift"], False),
        (["canary_failure"], ["prediction_drift"], True),
        (["canary_failure"], ["latency"], False),
        (["external_alert"], ["external_alert"], True),
        (["external_alert"], ["feature_drift"], False),
        ([], ["feature_drift"], False),
    ],
)
def test_joins_needs_a_related_kind(incident: list[str], new: list[str], joined: bool) -> None:
    assert joins(incident, new) is joined


def test_split_unrelated_keeps_order_and_links_through_shared_relatives() -> None:
    kinds = ["latency", "source_share", "feature_drift", "pii_leak", "outage", "canary_failure"]
    assert split_unrelated(kinds) == [[0, 4], [1, 2, 5], [3]]
    assert split_unrelated(["source_share", "canary_failure"]) == [[0], [1]]
    assert split_unrelated([]) == []
