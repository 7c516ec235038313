"""Timestamps come back timezone-aware in UTC on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from redline.store import add_window, get_window, list_windows

KOLKATA = timezone(timedelta(hours=5, minutes=30))
START = datetime(2024, 3, 10, 23, 59, 59, 123456, tzinfo=KOLKATA)


def test_timestamps_round_trip_as_utc(session: Session) -> None:
    add_window(
        session,
        window_id="w",
        model="m",
        start=START,
        end=START + timedelta(seconds=30),
        n_rows=1,
        payload={},
    )
    session.expunge_all()
    row = get_window(session, window_id="w")
    assert row is not None
    for value in (row.start, row.end, row.created_at):
        assert value.tzinfo is UTC
    assert row.start == START
    assert row.start.microsecond == 123456
    assert row.start.hour == 18  # 23:59 at +05:30
    assert row.evaluated_at is None


def test_rows_hold_utc_before_they_are_reloaded(session: Session) -> None:
    row, _ = add_window(
        session, window_id="w", model="m", start=START, end=START, n_rows=1, payload={}
    )
    assert row.start.tzinfo is UTC


def test_since_compares_instants_not_wall_clocks(session: Session) -> None:
    add_window(session, window_id="w", model="m", start=START, end=START, n_rows=1, payload={})
    just_before = (START - timedelta(microseconds=1)).astimezone(timezone(timedelta(hours=-8)))
    just_after = START + timedelta(microseconds=1)
    assert [w.id for w in list_windows(session, model="m", since=just_before)] == ["w"]
    assert list_windows(session, model="m", since=just_after) == []
