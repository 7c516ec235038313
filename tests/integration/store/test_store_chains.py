"""Timeline and audit log: numbered, linked by hash, and refused UPDATE/DELETE by the database."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redline.domain import Severity
from redline.errors import StoreError
from redline.store import (
    IncidentRow,
    StaleChainError,
    Store,
    add_audit_entry,
    add_deployment,
    add_incident,
    add_timeline_event,
    get_last_audit_entry,
    get_last_timeline_event,
    list_audit,
    list_timeline,
)

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
GENESIS = "0" * 64


def _hash(*parts: object) -> str:
    # Stand-in for the services' chain hash: the store only checks the link, not the digest.
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _event(session: Session, incident_id: int, kind: str, prev_hash: str) -> str:
    digest = _hash(prev_hash, kind)
    add_timeline_event(
        session,
        incident_id=incident_id,
        at=T0,
        actor="system",
        kind=kind,
        details={"kind": kind},
        prev_hash=prev_hash,
        hash=digest,
    )
    return digest


def _audit(session: Session, action: str, prev_hash: str, target: str = "incident:1") -> str:
    digest = _hash(prev_hash, action)
    add_audit_entry(
        session,
        at=T0,
        actor="person:alice",
        action=action,
        target=target,
        details={"n": 1},
        prev_hash=prev_hash,
        hash=digest,
    )
    return digest


def test_timeline_events_are_numbered_per_incident_in_chain_order(
    session: Session, incident: IncidentRow
) -> None:
    other = add_incident(
        session,
        model="credit",
        title="t",
        category="c",
        severity=Severity.SEV3,
        policy_version="p",
        detected_at=T0,
    )
    assert get_last_timeline_event(session, incident_id=incident.id) is None
    first = _event(session, incident.id, "declared", GENESIS)
    _event(session, other.id, "declared", GENESIS)
    second = _event(session, incident.id, "contained", first)
    session.expunge_all()

    events = list_timeline(session, incident_id=incident.id)
    assert [(e.seq, e.kind, e.prev_hash, e.hash) for e in events] == [
        (1, "declared", GENESIS, first),
        (2, "contained", first, second),
    ]
    assert events[0].at.tzinfo is UTC
    assert events[0].details == {"kind": "declared"}
    last = get_last_timeline_event(session, incident_id=incident.id, lock=True)
    assert last is not None
    assert (last.seq, last.hash) == (2, second)
    assert [e.seq for e in list_timeline(session, incident_id=other.id)] == [1]


def test_a_timeline_event_must_follow_the_last_hash(
    session: Session, incident: IncidentRow
) -> None:
    first = _event(session, incident.id, "declared", GENESIS)
    _event(session, incident.id, "contained", first)
    with pytest.raises(StaleChainError, match=r"is not the hash of entry 2"):
        _event(session, incident.id, "forked", first)  # a writer that read entry 1 only
    with pytest.raises(ValueError, match="not a lowercase hex sha256"):
        _event(session, incident.id, "bad", "abc")
    with pytest.raises(StoreError, match="incident 999999"):
        _event(session, 999_999, "declared", GENESIS)
    assert [e.kind for e in list_timeline(session, incident_id=incident.id)] == [
        "declared",
        "contained",
    ]


def test_the_audit_log_is_one_global_chain(session: Session) -> None:
    assert get_last_audit_entry(session) is None
    first = _audit(session, "declare", GENESIS)
    second = _audit(session, "contain", first, target="incident:2")
    third = _audit(session, "close", second)
    with pytest.raises(StaleChainError, match="audit log"):
        _audit(session, "late", second)
    session.expunge_all()

    assert [(e.seq, e.hash) for e in list_audit(session)] == [(1, first), (2, second), (3, third)]
    assert [e.action for e in list_audit(session, target="incident:1")] == ["declare", "close"]
    assert [e.seq for e in list_audit(session, after_seq=1, limit=1)] == [2]
    last = get_last_audit_entry(session, lock=True)
    assert last is not None
    assert (last.seq, last.actor, last.at) == (3, "person:alice", T0)


CHANGES = {
    "UPDATE": "UPDATE {table} SET actor = 'mallory'",
    "DELETE": "DELETE FROM {table}",
}


@pytest.mark.parametrize("operation", sorted(CHANGES))
@pytest.mark.parametrize("table", ["timeline_events", "audit_log", "deployments"])
def test_the_database_refuses_to_change_append_only_rows(
    session: Session, incident: IncidentRow, table: str, operation: str
) -> None:
    _event(session, incident.id, "declared", GENESIS)
    _audit(session, "declare", GENESIS)
    add_deployment(session, model="fraud", version="v1", at=T0, actor="mallory", reason="r")
    with (
        pytest.raises(IntegrityError, match=f"{table} is append-only: {operation} refused"),
        session.begin_nested(),
    ):
        session.execute(text(CHANGES[operation].format(table=table)))
    count = session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    assert count == 1


def test_orm_changes_to_chain_rows_are_refused_too(session: Session, incident: IncidentRow) -> None:
    _event(session, incident.id, "declared", GENESIS)
    [event] = list_timeline(session, incident_id=incident.id)
    savepoint = session.begin_nested()
    event.at = T0.astimezone(timezone(timedelta(hours=2))) + timedelta(hours=1)
    with pytest.raises(IntegrityError, match="timeline_events is append-only: UPDATE refused"):
        session.flush()
    savepoint.rollback()
    session.expire_all()
    assert list_timeline(session, incident_id=incident.id)[0].at == T0


def test_truncate_is_refused_on_postgresql(migrated_postgresql_url: str) -> None:
    store = Store.from_url(migrated_postgresql_url)
    try:
        with store.session() as session:
            _audit(session, "declare", GENESIS)
        with (
            pytest.raises(IntegrityError, match="audit_log is append-only: TRUNCATE refused"),
            store.session() as session,
        ):
            session.execute(text("TRUNCATE audit_log"))
        with store.session() as session:
            assert len(list_audit(session)) == 1
    finally:
        store.dispose()
