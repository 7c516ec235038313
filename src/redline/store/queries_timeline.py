"""The two append-only hash chains: incident timelines and the audit log.

Services compute the hashes; the store numbers the entries, checks that each one names the
hash of the entry before it, and offers no way to change or remove one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redline.errors import StoreError
from redline.store.conflicts import StaleChainError
from redline.store.queries_incidents import _bump_counter
from redline.store.tables_incidents import AuditEntryRow, IncidentRow, TimelineEventRow

__all__ = [
    "add_audit_entry",
    "add_timeline_event",
    "get_last_audit_entry",
    "get_last_timeline_event",
    "list_audit",
    "list_timeline",
]

_Entry = TypeVar("_Entry", TimelineEventRow, AuditEntryRow)
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
#: ``session.info`` key: per chain, the last entry read under its lock, for the next append.
_LOCKED_LAST = "redline.chain_last"
_NONE = object()
AUDIT_CHAIN = "chain:audit_log"


def _locked(session: Session, chain: str, last: _Entry | None) -> _Entry | None:
    """Keep ``last``, just read under the chain's lock, for the append that follows it."""
    session.info.setdefault(_LOCKED_LAST, {})[chain] = last
    return last


def _last_for_append(
    session: Session, chain: str, read: Callable[[], _Entry | None]
) -> _Entry | None:
    """The entry to append after: the one read under the lock just before (nothing can
    append to the chain while the lock is held; taken once), else read now."""
    found = session.info.get(_LOCKED_LAST, {}).pop(chain, _NONE)
    return read() if found is _NONE else cast("_Entry | None", found)


def _append(session: Session, entry: _Entry, last: _Entry | None, chain: str) -> _Entry:
    """Number ``entry`` after ``last`` and insert it, refusing anything but the next link."""
    for name, value in (("prev_hash", entry.prev_hash), ("hash", entry.hash)):
        if not _SHA256_HEX.fullmatch(value):
            raise ValueError(f"{chain}: {name} {value!r} is not a lowercase hex sha256")
    retry = "re-read the last entry (lock=True), recompute the hash and append again"
    if last is not None and entry.prev_hash != last.hash:
        raise StaleChainError(
            f"{chain}: prev_hash {entry.prev_hash[:12]}… is not the hash of entry {last.seq} "
            f"({last.hash[:12]}…); {retry}"
        )
    entry.seq = 1 if last is None else last.seq + 1
    try:
        # The savepoint keeps the caller's transaction usable when a concurrent writer won.
        with session.begin_nested():
            session.add(entry)
    except IntegrityError as exc:
        raise StaleChainError(
            f"{chain}: entry {entry.seq} was written by another writer; {retry}"
        ) from exc
    return entry


def get_last_timeline_event(
    session: Session, *, incident_id: int, lock: bool = False
) -> TimelineEventRow | None:
    """The newest event of an incident; ``lock`` holds off other appenders until commit."""
    chain = f"chain:timeline_events:{incident_id}"
    if lock:
        _bump_counter(session, name=chain)
    query = (
        select(TimelineEventRow)
        .where(TimelineEventRow.incident_id == incident_id)
        .order_by(TimelineEventRow.seq.desc())
        .limit(1)
    )
    last = session.scalars(query).first()
    return _locked(session, chain, last) if lock else last


def add_timeline_event(
    session: Session,
    *,
    incident_id: int,
    at: datetime,
    actor: str,
    kind: str,
    details: dict[str, Any],
    prev_hash: str,
    hash: str,
) -> TimelineEventRow:
    """Append an event to an incident's timeline; its ``prev_hash`` must be the last hash."""
    if session.get(IncidentRow, incident_id) is None:
        raise StoreError(f"cannot add a timeline event to incident {incident_id}: not stored")
    last = _last_for_append(
        session,
        f"chain:timeline_events:{incident_id}",
        lambda: get_last_timeline_event(session, incident_id=incident_id),
    )
    event = TimelineEventRow(
        incident_id=incident_id,
        at=at,
        actor=actor,
        kind=kind,
        details=details,
        prev_hash=prev_hash,
        hash=hash,
    )
    return _append(session, event, last, f"timeline of incident {incident_id}")


def list_timeline(session: Session, *, incident_id: int) -> list[TimelineEventRow]:
    """Every event of an incident in chain order."""
    query = (
        select(TimelineEventRow)
        .where(TimelineEventRow.incident_id == incident_id)
        .order_by(TimelineEventRow.seq)
    )
    return list(session.scalars(query))


def get_last_audit_entry(session: Session, *, lock: bool = False) -> AuditEntryRow | None:
    """The newest audit entry; ``lock`` holds off other appenders until commit."""
    if lock:
        _bump_counter(session, name=AUDIT_CHAIN)
    query = select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()).limit(1)
    last = session.scalars(query).first()
    return _locked(session, AUDIT_CHAIN, last) if lock else last


def add_audit_entry(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    details: dict[str, Any],
    prev_hash: str,
    hash: str,
) -> AuditEntryRow:
    """Append an entry to the audit log; its ``prev_hash`` must be the last hash."""
    entry = AuditEntryRow(
        at=at,
        actor=actor,
        action=action,
        target=target,
        details=details,
        prev_hash=prev_hash,
        hash=hash,
    )
    last = _last_for_append(session, AUDIT_CHAIN, lambda: get_last_audit_entry(session))
    return _append(session, entry, last, "audit log")


def list_audit(
    session: Session, *, after_seq: int = 0, target: str | None = None, limit: int = 1000
) -> list[AuditEntryRow]:
    """Audit entries after ``after_seq`` in chain order, optionally about one target."""
    query = select(AuditEntryRow).where(AuditEntryRow.seq > after_seq)
    if target is not None:
        query = query.where(AuditEntryRow.target == target)
    return list(session.scalars(query.order_by(AuditEntryRow.seq).limit(limit)))
