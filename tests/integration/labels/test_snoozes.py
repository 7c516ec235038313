"""Snoozes: matching signals are stored but open no incident, until the snooze expires."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from labels_data import MODEL, T0, add_hour_window

from redline.domain import Level, Signal
from redline.services.response import ResponsePlan
from redline.services.snoozes import SnoozeError, list_snoozes, snooze
from redline.services.triage import triage_signals_in
from redline.store import Store, add_signals, list_audit, list_incidents, list_signals

PATTERN = "fraud|performance|performance_drop|*"


def _drop(column: str = "fraud", kind: str = "performance_drop") -> Signal:
    return Signal(
        monitor="performance",
        kind=kind,
        column=column,
        statistic="recall",
        value=0.5,
        threshold=0.64,
        level=Level.ALARM,
        model=MODEL,
    )


def _triage(store: Store, window_id: str, start: datetime, *signals: Signal) -> str | None:
    """Store a window's signals and triage them at the window's end; the incident key, if any."""
    with store.session() as session:
        window = add_hour_window(session, window_id, start)
        rows = add_signals(session, signals=list(signals), window_id=window_id)
        incident = triage_signals_in(
            session, model=MODEL, rows=rows, now=window.end, plan=ResponsePlan()
        )
        return None if incident is None else incident.key


def test_snoozed_signals_are_stored_but_open_no_incident(store: Store) -> None:
    row = snooze(
        store,
        pattern=PATTERN,
        until=T0 + timedelta(hours=3),
        reason="labels are being backfilled",
        actor="person:ann",
        now=T0,
    )
    assert _triage(store, "w1", T0, _drop("fraud"), _drop("legit")) is None
    with store.session() as session:
        assert list_incidents(session, model=MODEL) == []
        assert len(list_signals(session, model=MODEL)) == 2  # stored all the same
        (entry,) = list_audit(session, target=f"snooze:{row.id}")
    assert (entry.action, entry.actor) == ("snooze_added", "person:ann")
    assert entry.details["fingerprint_pattern"] == PATTERN


def test_other_signals_still_open_incidents_during_a_snooze(store: Store) -> None:
    snooze(
        store,
        pattern=PATTERN,
        until=T0 + timedelta(hours=3),
        reason="backfill",
        actor="ann",
        now=T0,
    )
    key = _triage(store, "w1", T0, _drop("fraud"), _drop("amount", kind="feature_drift"))
    assert key is not None
    with store.session() as session:
        (incident,) = list_incidents(session, model=MODEL)
        assert "feature drift" in incident.title
        assert "performance" not in incident.title


def test_an_expired_snooze_no_longer_hides_signals(store: Store) -> None:
    snooze(
        store,
        pattern=PATTERN,
        until=T0 + timedelta(hours=2),
        reason="backfill",
        actor="ann",
        now=T0,
    )
    assert _triage(store, "w1", T0, _drop()) is None  # triaged at T0 + 1 h: snoozed
    key = _triage(store, "w2", T0 + timedelta(hours=2), _drop())  # at T0 + 3 h: expired
    assert key is not None
    with store.session() as session:
        (incident,) = list_incidents(session, model=MODEL)
        assert (incident.key, incident.severity, incident.category) == (key, "SEV2", "performance")
    assert list_snoozes(store, now=T0 + timedelta(hours=3)) == []
    assert [s.reason for s in list_snoozes(store, active_only=False)] == ["backfill"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"until": T0 - timedelta(seconds=1)}, "not in the future"),
        ({"until": T0}, "not in the future"),
        ({"reason": "  "}, "needs a reason"),
        ({"pattern": ""}, "needs a fingerprint pattern"),
        ({"until": datetime(2026, 3, 2)}, "timezone-aware"),
        ({"actor": ""}, "say who snoozes"),
    ],
)
def test_a_snooze_needs_a_future_expiry_a_reason_and_an_actor(
    store: Store, changes: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {
        "pattern": PATTERN,
        "until": T0 + timedelta(hours=1),
        "reason": "deploy",
        "actor": "ann",
    }
    with pytest.raises(SnoozeError, match=message):
        snooze(store, now=T0, **{**arguments, **changes})  # type: ignore[arg-type]
    assert list_snoozes(store, active_only=False) == []
