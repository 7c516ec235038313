"""Appending to the hash-chained incident timelines and the system-wide audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redline.domain.timeline import GENESIS, chain_hash
from redline.store import (
    Session,
    add_audit_entry,
    add_timeline_event,
    get_last_audit_entry,
    get_last_timeline_event,
)

__all__ = ["record_audit", "record_event"]


def record_event(
    session: Session,
    *,
    incident_id: int,
    at: datetime,
    actor: str,
    kind: str,
    details: dict[str, Any],
) -> str:
    """Append one event to an incident's timeline; returns its hash."""
    last = get_last_timeline_event(session, incident_id=incident_id, lock=True)
    prev = last.hash if last is not None else GENESIS
    payload = {"at": at, "actor": actor, "kind": kind, "details": details}
    digest = chain_hash(prev, payload)
    add_timeline_event(
        session,
        incident_id=incident_id,
        at=at,
        actor=actor,
        kind=kind,
        details=details,
        prev_hash=prev,
        hash=digest,
    )
    return digest


def record_audit(
    session: Session, *, at: datetime, actor: str, action: str, target: str, details: dict[str, Any]
) -> str:
    """Append one entry to the audit log; returns its hash."""
    last = get_last_audit_entry(session, lock=True)
    prev = last.hash if last is not None else GENESIS
    payload = {"at": at, "actor": actor, "action": action, "target": target, "details": details}
    digest = chain_hash(prev, payload)
    add_audit_entry(
        session,
        at=at,
        actor=actor,
        action=action,
        target=target,
        details=details,
        prev_hash=prev,
        hash=digest,
    )
    return digest
