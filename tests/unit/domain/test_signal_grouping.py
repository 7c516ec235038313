"""Dedup keys, grouping into open incidents, and snoozes with expiry and reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from redline.domain import Level, Signal, Snooze, dedup_key, is_snoozed, should_group
from redline.domain.grouping import DEFAULT_GROUP_WINDOW_S, active_snooze

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
