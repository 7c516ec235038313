"""Actions failed on their canaries, and what that does to the incident they contained.

An applied action fails when a canary fails at or after its revision. A verified one fails
only on a canary failure on a route it serves (see ``action_rules``): a drift signal is not
evidence that a containment stopped containing. When the incident is left with no verified
containment, ``transitions.ON_CONTAINMENT_LOST`` says where it goes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from redline.domain import ActionStatus, IncidentStatus, Signal
from redline.domain.action_rules import CANARY_FAILURE, advance_action
from redline.domain.decision import RouteState
from redline.domain.transitions import containment_lost_event
from redline.services.chains import record_audit, record_event
from redline.services.incidents import incident_facts, transition_in
from redline.store import ActionRow, Session, get_incident, save_action

__all__ = [
    "fail_action_in",
    "failed_canaries",
    "failed_verification_in",
    "mark_applied_in",
    "record_action_event",
]


def failed_canaries(
    row: ActionRow, signals: Sequence[Signal], *, routes: Collection[str] | None = None
) -> dict[str, int]:
    """Canaries failed at or after the action's revision (on one of ``routes`` when given)."""
    revision = int((row.after_state or {}).get("revision", 0))
    return {
        str(s.column): int(s.evidence.get("revision", -1))
        for s in signals
        if s.kind == CANARY_FAILURE
        and int(s.evidence.get("revision", -1)) >= revision
        and (routes is None or s.evidence.get("route") in routes)
    }


def fail_action_in(
    session: Session,
    row: ActionRow,
    failed: Mapping[str, int],
    *,
    now: datetime,
    evidence: Mapping[str, Any],
) -> None:
    """Fail an action on its canaries, on the timeline; its before/after state stay as they were."""
    was = ActionStatus(row.status)
    names = sorted(failed)
    error = f"canaries failed on the new route: {', '.join(names)}"
    status = advance_action(was, ActionStatus.FAILED, evidence=CANARY_FAILURE)
    details = {"route_revision": max(failed.values()), **evidence, "canaries": names}
    verification = dict(details)
    if was is ActionStatus.VERIFIED:  # keep the evidence that verified it, the failure beside it
        verification = {**(row.verification or {}), "failed": {**details, "was": was.value}}
    failed_verification_in(
        session,
        row,
        status=status,
        verification=verification,
        error=error,
        details={**details, "was": was.value},
        now=now,
    )
    if was is ActionStatus.VERIFIED:
        _containment_lost(session, row, now)


def failed_verification_in(
    session: Session,
    row: ActionRow,
    *,
    status: ActionStatus,
    verification: Mapping[str, Any],
    error: str,
    details: Mapping[str, Any],
    now: datetime,
) -> None:
    """Store a failed verification and put ``verification_failed`` on the timeline."""
    save_action(
        session,
        action_id=row.id,
        status=status,
        verification=dict(verification),
        error=error,
        failed_at=now,
    )
    record_action_event(
        session, row, now, "system", "verification_failed", {**details, "error": error}
    )


def _containment_lost(session: Session, row: ActionRow, now: datetime) -> None:
    """Move the action's incident as the table says when no verified containment is left."""
    incident = get_incident(session, incident_id=row.incident_id) if row.incident_id else None
    if incident is None:
        return
    facts = incident_facts(session, incident)
    event = containment_lost_event(IncidentStatus(incident.status), facts)
    if event is not None:
        reason = f"verified {row.type} action {row.id} later failed its canaries"
        transition_in(session, incident, event, actor="system", now=now, reason=reason)


def record_action_event(
    session: Session, row: ActionRow, at: datetime, actor: str, kind: str, details: dict[str, Any]
) -> None:
    """Put an action's event on its incident's timeline (if any) and in the audit log."""
    details = {"action_id": row.id, "type": row.type, **details}
    if row.incident_id is not None:
        record_event(
            session, incident_id=row.incident_id, at=at, actor=actor, kind=kind, details=details
        )
    record_audit(
        session, at=at, actor=actor, action=kind, target=f"model:{row.model}", details=details
    )


def mark_applied_in(
    session: Session,
    row: ActionRow,
    *,
    before: RouteState,
    after: RouteState,
    at: datetime,
    actor: str,
    details: dict[str, Any],
) -> None:
    """Record a requested action as applied: its route states, then ``action_applied``."""
    status = advance_action(ActionStatus.REQUESTED, ActionStatus.APPLIED)
    save_action(
        session,
        action_id=row.id,
        status=status,
        before_state=before.to_dict(),
        after_state=after.to_dict(),
        applied_at=at,
    )
    record_action_event(session, row, at, actor, "action_applied", details)
