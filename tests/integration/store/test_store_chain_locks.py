"""Appending after a read under the chain's lock: the entry read there is the one followed (no
second read), the link is still checked, and a rolled-back append leaves nothing behind."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from redline.store import (
    IncidentRow,
    StaleChainError,
    add_audit_entry,
    add_timeline_event,
    get_last_audit_entry,
    get_last_timeline_event,
    list_audit,
    list_timeline,
)

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
GENESIS = "0" * 64


def _hash(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _append(session: Session, incident_id: int, kind: str) -> str:
    """What the services do: read the last entry under the lock, hash after it, append."""
    last = get_last_timeline_event(session, incident_id=incident_id, lock=True)
    prev = last.hash if last is not None else GENESIS
    digest = _hash(prev, kind)
    add_timeline_event(
        session,
        incident_id=incident_id,
        at=T0,
        actor="system",
        kind=kind,
        details={},
        prev_hash=prev,
        hash=digest,
    )
    return digest


def test_an_append_after_a_locked_read_reads_the_chain_once(
    session: Session, incident: IncidentRow
) -> None:
    _append(session, incident.id, "declared")
    selects: list[str] = []

    def count(_c: object, _cur: object, statement: str, *_a: object) -> None:
        if statement.lstrip().startswith("SELECT") and "timeline_events" in statement:
            selects.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        _append(session, incident.id, "contained")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(selects) == 1
    assert [e.kind for e in list_timeline(session, incident_id=incident.id)] == [
        "declared",
        "contained",
    ]


def test_an_append_after_a_locked_read_must_still_follow_the_entry_read(
    session: Session, incident: IncidentRow
) -> None:
    first = _append(session, incident.id, "declared")
    _append(session, incident.id, "contained")
    last = get_last_timeline_event(session, incident_id=incident.id, lock=True)
    assert last is not None
    assert last.seq == 2
    with pytest.raises(StaleChainError, match=r"is not the hash of entry 2"):
        add_timeline_event(
            session,
            incident_id=incident.id,
            at=T0,
            actor="system",
            kind="forked",
            details={},
            prev_hash=first,  # a writer that read entry 1 only
            hash=_hash(first, "forked"),
        )


def test_an_append_rolled_back_with_its_savepoint_is_not_followed(
    session: Session, incident: IncidentRow
) -> None:
    first = _append(session, incident.id, "declared")
    savepoint = session.begin_nested()
    _append(session, incident.id, "rolled back")
    savepoint.rollback()  # as snapshot_once_in does when taking the snapshot fails
    _append(session, incident.id, "contained")
    events = list_timeline(session, incident_id=incident.id)
    assert [(e.seq, e.kind) for e in events] == [(1, "declared"), (2, "contained")]
    assert events[1].prev_hash == first


def test_a_lock_taken_without_an_append_does_not_stand_for_a_later_one(
    session: Session,
) -> None:
    get_last_audit_entry(session, lock=True)  # a lock only (no entry yet)
    digest = _hash(GENESIS, "first")
    add_audit_entry(
        session,
        at=T0,
        actor="person:alice",
        action="first",
        target="model:credit",
        details={},
        prev_hash=GENESIS,
        hash=digest,
    )
    # No new lock-read: the append must read the chain, not reuse the empty one read above.
    with pytest.raises(StaleChainError):
        add_audit_entry(
            session,
            at=T0,
            actor="person:alice",
            action="second",
            target="model:credit",
            details={},
            prev_hash=GENESIS,
            hash=_hash(GENESIS, "second"),
        )
    assert [e.action for e in list_audit(session)] == ["first"]
