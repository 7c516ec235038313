"""Art. 73 clocks: 15 / 2 / 10 days from aware_at, time left, overdue, unknown without aware_at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redline.forensics.assessment import NOT_LEGAL_ADVICE, regulatory_clocks

AWARE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def by_name(now: datetime, aware: datetime | None = AWARE) -> dict[str, dict[str, object]]:
    return {c["clock"]: c for c in regulatory_clocks(aware, now=now)}


def test_deadlines_are_15_2_and_10_days_after_awareness() -> None:
    clocks = by_name(AWARE + timedelta(hours=1))
    assert clocks["general"]["deadline"] == "2026-03-16T12:00:00+00:00"
    assert (
        clocks["widespread_or_critical_infrastructure"]["deadline"] == "2026-03-03T12:00:00+00:00"
    )
    assert clocks["death"]["deadline"] == "2026-03-11T12:00:00+00:00"
    assert clocks["general"]["seconds_left"] == 15 * 86_400 - 3_600
    assert all(c["not_legal_advice"] is True and c["overdue"] is False for c in clocks.values())


def test_a_passed_deadline_is_overdue_and_the_others_still_run() -> None:
    clocks = by_name(AWARE + timedelta(days=3))
    short = clocks["widespread_or_critical_infrastructure"]
    assert short["overdue"] is True
    assert short["status"] == "overdue"
    assert short["seconds_left"] == -86_400
    assert clocks["death"]["overdue"] is False
    assert clocks["general"]["status"] == "running"


def test_at_the_deadline_exactly_it_is_not_yet_overdue() -> None:
    assert (
        by_name(AWARE + timedelta(days=2))["widespread_or_critical_infrastructure"]["overdue"]
        is False
    )


def test_without_aware_at_every_clock_is_unknown() -> None:
    clocks = by_name(AWARE, aware=None)
    for clock in clocks.values():
        assert clock["deadline"] is None
        assert clock["overdue"] is None
        assert "unknown" in str(clock["status"])
        assert "aware_at" in str(clock["status"])
    assert NOT_LEGAL_ADVICE.startswith("Not legal advice")
