"""Signals: exact round trips through to_signal() and filtered listing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from redline.domain import Level, Signal
from redline.errors import StoreError
from redline.store import add_signals, add_window, list_signals

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SIGNAL = Signal(
    monitor="psi",
    kind="input_drift",
    column="age",
    statistic="psi",
    value=0.31,
    threshold=0.2,
    level=Level.ALARM,
    window_start=T0,
    window_end=T0 + timedelta(minutes=1),
    n_rows=1200,
    model="m",
    evidence={"bins": [0.1, 0.5, 0.4], "top": {"bin": 2, "delta": -0.25}, "note": "é"},
)


def test_signals_round_trip_through_to_signal(session: Session) -> None:
    no_column = replace(SIGNAL, column=None, window_start=None, window_end=None, evidence={})
    rows = add_signals(session, signals=[SIGNAL, no_column])
    assert all(row.id is not None for row in rows)
    session.expunge_all()
    stored = sorted(list_signals(session), key=lambda row: row.id)
    assert [row.to_signal() for row in stored] == [SIGNAL, no_column]
    assert stored[0].fingerprint == SIGNAL.fingerprint
    assert stored[0].window_id is None


def test_a_window_supplies_a_missing_model(session: Session) -> None:
    add_window(session, window_id="w", model="m2", start=T0, end=T0, n_rows=1, payload={})
    [row] = add_signals(session, signals=[replace(SIGNAL, model=None)], window_id="w")
    assert (row.model, row.window_id) == ("m2", "w")
    assert row.to_signal().fingerprint == row.fingerprint == "m2|psi|input_drift|age"


def test_bad_signal_targets_are_refused(session: Session) -> None:
    with pytest.raises(StoreError, match="'ghost'"):
        add_signals(session, signals=[SIGNAL], window_id="ghost")
    with pytest.raises(ValueError, match="names no model"):
        add_signals(session, signals=[replace(SIGNAL, model=None)])


def test_list_signals_filters_model_level_and_since(session: Session) -> None:
    levels = [Level.WARNING, Level.ALARM, Level.CRITICAL, Level.ALARM]
    rows = add_signals(
        session,
        signals=[replace(SIGNAL, level=level, value=float(i)) for i, level in enumerate(levels)],
    )
    for i, row in enumerate(rows):
        row.created_at = T0 + timedelta(minutes=i)
    add_signals(session, signals=[replace(SIGNAL, model="other")])
    session.flush()
    session.expunge_all()

    def values(
        *, since: datetime | None = None, level: Level | None = None, limit: int = 100
    ) -> list[float]:
        rows = list_signals(session, model="m", since=since, level=level, limit=limit)
        return [row.value for row in rows]

    assert values() == [3.0, 2.0, 1.0, 0.0]  # newest first
    assert values(level=Level.ALARM) == [3.0, 1.0]
    assert values(since=T0 + timedelta(minutes=2)) == [3.0, 2.0]
    assert values(limit=1) == [3.0]
    assert len(list_signals(session)) == 5
    assert [row.model for row in list_signals(session, model="other")] == ["other"]
