"""Incidents: keys, add/get/list/save, linked signals, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redline.domain import IncidentStatus, Level, Severity, Signal
from redline.errors import StoreError
from redline.store import (
    IncidentRow,
    add_incident,
    add_incident_signals,
    add_signals,
    get_incident,
    list_incident_signals,
    list_incidents,
    list_signals,
    next_incident_key,
    save_incident,
)

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
BERLIN = timezone(timedelta(hours=1))
SIGNAL = Signal(
    monitor="psi",
    kind="input_drift",
    column="amount",
    statistic="psi",
    value=0.4,
    threshold=0.2,
    level=Level.ALARM,
    model="fraud",
)


def _add(
    session: Session,
    *,
    model: str = "fraud",
    severity: Severity = Severity.SEV2,
    status: IncidentStatus = IncidentStatus.TRIAGE,
    minutes: int = 0,
) -> IncidentRow:
    return add_incident(
        session,
        model=model,
        title=f"{model} {severity} {status}",
        category="drift",
        severity=severity,
        status=status,
        policy_version="2026.1",
        detected_at=T0 + timedelta(minutes=minutes),
    )


def test_incident_keys_are_unique_and_increase_per_year(session: Session) -> None:
    keys = [next_incident_key(session, year=2026) for _ in range(3)]
    assert keys == ["RL-2026-0001", "RL-2026-0002", "RL-2026-0003"]
    assert next_incident_key(session, year=2027) == "RL-2027-0001"
    assert _add(session).key == "RL-2026-0004"  # the year of detected_at


def test_an_incident_round_trips_with_defaults_and_utc_times(session: Session) -> None:
    row = add_incident(
        session,
        model="fraud",
        title="recall down",
        category="performance",
        severity=Severity.SEV1,
        policy_version="2026.1",
        detected_at=datetime(2026, 3, 1, 10, 30, tzinfo=BERLIN),
        key="RL-2026-0042",
        first_signal_at=datetime(2026, 3, 1, 10, 0, tzinfo=BERLIN),
        affected_decisions=1234,
    )
    session.expunge_all()
    stored = get_incident(session, key="RL-2026-0042")
    assert stored is not None
    assert get_incident(session, incident_id=row.id) is stored
    assert (stored.severity, stored.status) == ("SEV1", "triage")
    assert (stored.evidence_hold, stored.postmortem_required) == (True, False)
    assert stored.detected_at == T0
    assert stored.first_signal_at == T0 - timedelta(minutes=30)
    assert stored.affected_decisions == 1234
    for value in (stored.detected_at, stored.created_at, stored.updated_at):
        assert value.tzinfo is UTC
    assert stored.contained_at is None


def test_bad_incidents_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="severity 'SEV9' is not one of SEV1, SEV2, SEV3"):
        _add(session, severity="SEV9")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        add_incident(
            session,
            model="m",
            title="t",
            category="c",
            severity=Severity.SEV3,
            policy_version="p",
            detected_at=datetime(2026, 1, 1),
        )
    _add(session)
    with pytest.raises(IntegrityError), session.begin_nested():
        add_incident(
            session,
            model="m",
            title="t",
            category="c",
            severity=Severity.SEV3,
            policy_version="p",
            detected_at=T0,
            key="RL-2026-0001",
        )
    with pytest.raises(ValueError, match="exactly one"):
        get_incident(session)
    assert get_incident(session, key="RL-1999-0001") is None


def test_list_incidents_filters_and_orders_newest_first(session: Session) -> None:
    triage = _add(session, minutes=0)
    declared = _add(session, status=IncidentStatus.DECLARED, severity=Severity.SEV1, minutes=1)
    closed = _add(session, status=IncidentStatus.CLOSED, minutes=2)
    other = _add(session, model="credit", minutes=3)

    def ids(**filters: object) -> list[int]:
        return [row.id for row in list_incidents(session, **filters)]  # type: ignore[arg-type]

    assert ids() == [other.id, closed.id, declared.id, triage.id]
    assert ids(model="fraud") == [closed.id, declared.id, triage.id]
    assert ids(model="fraud", open_only=True) == [declared.id, triage.id]
    assert ids(status=IncidentStatus.CLOSED) == [closed.id]
    assert ids(status=[IncidentStatus.CLOSED, IncidentStatus.TRIAGE], model="fraud") == [
        closed.id,
        triage.id,
    ]
    assert ids(severity=Severity.SEV1) == [declared.id]
    assert ids(limit=1) == [other.id]


def test_save_incident_changes_only_the_given_fields(
    session: Session, incident: IncidentRow
) -> None:
    created = incident.updated_at
    saved = save_incident(
        session,
        incident_id=incident.id,
        status=IncidentStatus.CONTAINED,
        contained_at=datetime(2026, 3, 1, 11, 0, tzinfo=BERLIN),
        containment_state="fallback",
        evidence_hold=False,
    )
    session.expunge_all()
    stored = get_incident(session, incident_id=incident.id)
    assert stored is not None
    assert saved.id == stored.id
    assert (stored.status, stored.containment_state, stored.evidence_hold) == (
        "contained",
        "fallback",
        False,
    )
    assert stored.contained_at == T0 + timedelta(minutes=30)
    assert stored.title == "fraud recall dropped 20%"  # untouched
    assert stored.updated_at >= created


def test_save_incident_refuses_unknown_fields_ids_and_values(
    session: Session, incident: IncidentRow
) -> None:
    with pytest.raises(ValueError, match="unknown fields key"):
        save_incident(session, incident_id=incident.id, key="RL-2026-9999")  # type: ignore[call-arg]
    with pytest.raises(StoreError, match="incidents row 999999"):
        save_incident(session, incident_id=999_999, title="x")
    with pytest.raises(ValueError, match="status 'open' is not one of"):
        save_incident(session, incident_id=incident.id, status="open")  # type: ignore[arg-type]


def test_signals_link_to_incidents_once(session: Session, incident: IncidentRow) -> None:
    first, second, unlinked = add_signals(session, signals=[SIGNAL, SIGNAL, SIGNAL])
    second.created_at = first.created_at - timedelta(seconds=1)
    assert add_incident_signals(session, incident_id=incident.id, signal_ids=[first.id]) == 1
    linked = add_incident_signals(
        session, incident_id=incident.id, signal_ids=[first.id, second.id, second.id]
    )
    assert linked == 1
    session.expunge_all()
    rows = list_incident_signals(session, incident_id=incident.id)
    assert [row.id for row in rows] == [second.id, first.id]  # oldest first
    assert unlinked.id not in {row.id for row in rows}
    assert list_incident_signals(session, incident_id=incident.id + 1) == []


def test_linking_unknown_signals_or_incidents_raises(
    session: Session, incident: IncidentRow
) -> None:
    [signal] = add_signals(session, signals=[SIGNAL])
    with pytest.raises(StoreError, match=r"signals \[999999\]"):
        add_incident_signals(session, incident_id=incident.id, signal_ids=[signal.id, 999_999])
    with pytest.raises(StoreError, match="incident 999999"):
        add_incident_signals(session, incident_id=999_999, signal_ids=[signal.id])
    assert list_incident_signals(session, incident_id=incident.id) == []


def test_external_signals_keep_their_source_and_status(session: Session) -> None:
    add_signals(session, signals=[SIGNAL])
    add_signals(session, signals=[SIGNAL], source="alertmanager", status="resolved")
    session.expunge_all()
    stored = sorted(list_signals(session), key=lambda row: row.id)
    assert [(row.source, row.status) for row in stored] == [
        ("monitor", "firing"),
        ("alertmanager", "resolved"),
    ]
    with pytest.raises(ValueError, match="status 'gone'"):
        add_signals(session, signals=[SIGNAL], status="gone")
