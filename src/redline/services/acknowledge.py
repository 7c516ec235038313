"""Acknowledging an incident: someone owns it now. Recorded once, on the timeline and in audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redline.domain import IncidentStatus
from redline.errors import RedlineError
from redline.services.chains import record_audit, record_event
from redline.services.transitions import record_acknowledgement_in
from redline.services.views import require_incident
from redline.store import Store, list_timeline, save_incident

__all__ = ["AcknowledgeError", "Acknowledgement", "acknowledge_incident"]

#: Statuses in which there is nothing left to own.
FINAL_STATUSES = frozenset({IncidentStatus.DISMISSED, IncidentStatus.CLOSED})
EVENT_KIND = "acknowledged"


class AcknowledgeError(RedlineError):
    """The incident cannot be acknowledged in its current status."""


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Who acknowledged an incident and when; ``new`` is False when it already was."""

    key: str
    actor: str
    acknowledged_at: datetime
    new: bool


def acknowledge_incident(
    store: Store, *, key: str, actor: str, now: datetime | None = None
) -> Acknowledgement:
    """Record that ``actor`` acknowledged the incident; a repeat returns the first one."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = require_incident(session, key=key)
        if row.acknowledged_at is not None:
            events = list_timeline(session, incident_id=row.id)
            first = next((e.actor for e in events if e.kind == EVENT_KIND), "unknown")
            return Acknowledgement(row.key, first, row.acknowledged_at, new=False)
        if IncidentStatus(row.status) in FINAL_STATUSES:
            raise AcknowledgeError(
                f"cannot acknowledge {row.key}: it is {row.status}; nothing is left to own"
            )
        save_incident(session, incident_id=row.id, acknowledged_at=at, updated_at=at)
        details = {"status": row.status}
        record_event(
            session, incident_id=row.id, at=at, actor=actor, kind=EVENT_KIND, details=details
        )
        record_audit(
            session,
            at=at,
            actor=actor,
            action="incident.acknowledge",
            target=row.key,
            details=details,
        )
        record_acknowledgement_in(session, row, actor=actor, now=at)  # tells the paged channels
        return Acknowledgement(row.key, actor, at, new=True)
