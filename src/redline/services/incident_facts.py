"""What the transition guards know about a stored incident, gathered in the caller's session."""

from __future__ import annotations

from redline.domain import ActionStatus, ActionType, Severity
from redline.domain.actions import CONTAINMENT_TYPES
from redline.domain.transitions import IncidentFacts, postmortem_required
from redline.errors import RedlineError
from redline.services.containment import containment_in_force
from redline.store import IncidentRow, Session, count_windows, list_actions

__all__ = ["IncidentNotFoundError", "incident_facts", "quiet_windows"]


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
