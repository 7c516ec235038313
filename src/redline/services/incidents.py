"""Incident use cases: a status change by whoever asks (``transition_incident``), a severity
set by hand. Every status change runs through ``transitions.transition_in`` and its hooks."""

from __future__ import annotations

from datetime import UTC, datetime

from redline.domain import IncidentEvent, IncidentStatus, Severity
from redline.domain.actions import CONTAINMENT_TYPES
from redline.errors import RedlineError
from redline.services.chains import record_audit, record_event
from redline.services.incident_facts import IncidentNotFoundError, incident_facts, quiet_windows
from redline.services.transitions import transition_in
from redline.store import Store, get_incident, save_incident

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
