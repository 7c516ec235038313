"""Incident status changes: every one goes through ``transition_incident``, whoever asks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from redline.domain import ActionStatus, ActionType, IncidentEvent, IncidentStatus, Severity
from redline.domain.actions import CONTAINMENT_TYPES
from redline.domain.containment import is_automatic
from redline.domain.transitions import (
    IncidentFacts,
    TransitionError,
    postmortem_required,
    transition,
)
from redline.errors import RedlineError
from redline.forensics.postmortem_workflow import PostmortemEvent
from redline.services.chains import record_audit, record_event
from redline.services.containment import containment_in_force, record_acceptance_in
from redline.store import (
    IncidentRow,
    Session,
    Store,
    count_windows,
    get_incident,
    list_actions,
    save_incident,
)

__all__ = [
    "CONTAINMENT_TYPES",
    "IncidentNotFoundError",
    "SeverityChangeError",
    "change_severity",
    "incident_facts",
    "quiet_windows",
    "transition_in",
    "transition_incident",
]

#: The incident time field each status sets when it is reached.
_REACHED_AT = {
    IncidentStatus.CONTAINED: "contained_at",
    IncidentStatus.RESOLVED: "resolved_at",
    IncidentStatus.CLOSED: "closed_at",
}


class IncidentNotFoundError(RedlineError):
    """No incident has this key."""


def quiet_windows(session: Session, row: IncidentRow) -> int:
    """Windows of the incident's model that started after its last signal."""
    if row.last_signal_at is None:
        return 0
    return count_windows(session, model=row.model, since=row.last_signal_at)


def incident_facts(
    session: Session,
    row: IncidentRow,
    *,
    reason: str = "",
    exit_windows: int = 3,
    accept_containment: str = "",
) -> IncidentFacts:
    """What the transition guards need to know about an incident now."""
    actions = list_actions(session, incident_id=row.id)
    restoring = ActionType.RESTORE.value, ActionStatus.APPLIED.value
    done = {ActionStatus.APPLIED.value, ActionStatus.VERIFIED.value}
    applied = [ActionType(a.type) for a in actions if a.status in done]
    severity = Severity(row.severity)
    return IncidentFacts(
        severity=severity,
        has_verified_containment=any(
            a.status == ActionStatus.VERIFIED.value and ActionType(a.type) in CONTAINMENT_TYPES
            for a in actions
        ),
        exit_windows_quiet=quiet_windows(session, row),
        exit_windows_required=exit_windows,
        postmortem_required=postmortem_required(severity, applied),
        postmortem_approved=row.postmortem_status == "approved",
        reason=reason,
        containment_in_force=bool(containment_in_force(actions)),
        restore_pending=any((a.type, a.status) == restoring for a in actions),
        containment_accepted=accept_containment,
    )


#: Post-mortem statuses a recurrence sends back to draft.
_REVIEWED = frozenset({"in_review", "approved"})


def transition_in(
    session: Session,
    row: IncidentRow,
    event: IncidentEvent,
    *,
    actor: str,
    now: datetime,
    reason: str = "",
    exit_windows: int = 3,
    accept_containment: str = "",
) -> IncidentStatus:
    """Move an incident by ``event`` inside the caller's transaction, on the timeline."""
    if accept_containment.strip() and is_automatic(actor):
        raise TransitionError(
            f"only a person can accept {row.key}'s containment as the new normal ({actor} asked)",
            status=row.status,
            event=event.value,
            guard="containment_ended",
        )
    facts = incident_facts(
        session,
        row,
        reason=reason,
        exit_windows=exit_windows,
        accept_containment=accept_containment,
    )
    before = IncidentStatus(row.status)
    target = transition(before, event, facts, key=row.key)
    accepted = event == IncidentEvent.RESOLVE and facts.containment_in_force
    changes: dict[str, Any] = {
        "status": target,
        "postmortem_required": facts.needs_postmortem,
        "updated_at": now,
    }
    if target in _REACHED_AT:
        changes[_REACHED_AT[target]] = now
    if event == IncidentEvent.RESOLVE:
        changes["resolution_reason"] = reason or f"quiet for {facts.exit_windows_quiet} windows"
    if accepted:
        changes["resolution_reason"] = (
            f"containment accepted as the new normal: {accept_containment}"
        )
        record_acceptance_in(session, row, actor=actor, now=now, reason=accept_containment)
    save_incident(session, incident_id=row.id, **changes)
    details: dict[str, Any] = {"event": event.value, "from": before.value, "to": target.value}
    details |= {
        "reason": reason,
        **({"accepted_containment": accept_containment} if accepted else {}),
    }
    record_event(session, incident_id=row.id, at=now, actor=actor, kind="status", details=details)
    if event == IncidentEvent.REOPEN and row.postmortem_status in _REVIEWED:
        # Imported here: the post-mortem workflow itself moves incidents through this module.
        from redline.services.postmortem_review import change_postmortem_in

        change_postmortem_in(session, row, PostmortemEvent.INCIDENT_REOPENED, actor=actor, now=now)
    record_audit(
        session,
        at=now,
        actor=actor,
        action=f"incident.{event.value}",
        target=row.key,
        details=details,
    )
    return target


def transition_incident(
    store: Store,
    *,
    key: str,
    event: IncidentEvent | str,
    actor: str,
    reason: str = "",
    accept_containment: str = "",
    now: datetime | None = None,
) -> IncidentStatus:
    """Move an incident by ``event`` (one transaction); raises TransitionError when refused."""
    with store.session() as session:
        row = get_incident(session, key=key)
        if row is None:
            raise IncidentNotFoundError(f"no incident {key!r}; `redline incidents list` shows them")
        return transition_in(
            session,
            row,
            IncidentEvent(event),
            actor=actor,
            now=now or datetime.now(UTC),
            reason=reason,
            accept_containment=accept_containment,
        )


def change_severity(
    store: Store,
    *,
    key: str,
    severity: Severity | str,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> Severity:
    """Set an incident's severity by hand; a reason is required and goes on the timeline."""
    if not reason.strip():
        raise SeverityChangeError("changing a severity needs a reason (--reason)")
    target = Severity(severity)
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = get_incident(session, key=key)
        if row is None:
            raise IncidentNotFoundError(f"no incident {key!r}; `redline incidents list` shows them")
        if row.severity == target.value:
            raise SeverityChangeError(f"{key} is already {target.value}")
        details = {"from": row.severity, "to": target.value, "reason": reason}
        save_incident(session, incident_id=row.id, severity=target, updated_at=at)
        record_event(
            session,
            incident_id=row.id,
            at=at,
            actor=actor,
            kind="severity_changed",
            details=details,
        )
        record_audit(
            session, at=at, actor=actor, action="incident.severity", target=key, details=details
        )
        return target


class SeverityChangeError(RedlineError):
    """A severity change was refused."""
