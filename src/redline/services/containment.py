"""Which containment is in force, and a person keeping it as the new normal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from redline.domain import ActionStatus, ActionType, RouteState
from redline.domain.actions import ACTION_SPECS
from redline.domain.containment import changed_fields, is_automatic, overridden_fields
from redline.services.chains import record_audit, record_event
from redline.store import ActionRow, IncidentRow, Session, list_actions

__all__ = ["containment_in_force", "in_force", "manual_clash", "record_acceptance_in"]


def in_force(row: ActionRow) -> bool:
    """The action's route change is still in place (applied, verified, or failed after it)."""
    status = ActionStatus(row.status)
    if status is ActionStatus.FAILED:
        return row.after_state is not None
    return status in {ActionStatus.APPLIED, ActionStatus.VERIFIED}


def containment_in_force(actions: list[ActionRow]) -> list[ActionRow]:
    """The containment actions among ``actions`` whose route change is still in place."""
    return [a for a in actions if ACTION_SPECS[ActionType(a.type)].contains and in_force(a)]


def record_acceptance_in(
    session: Session, row: IncidentRow, *, actor: str, now: datetime, reason: str
) -> None:
    """On the timeline and in the audit log: a person kept the containment as the new normal."""
    kept = containment_in_force(list_actions(session, incident_id=row.id))
    details = {"reason": reason, "actions": [{"id": a.id, "type": a.type} for a in kept]}
    record_event(
        session,
        incident_id=row.id,
        at=now,
        actor=actor,
        kind="containment_accepted",
        details=details,
    )
    record_audit(
        session,
        at=now,
        actor=actor,
        action="incident.accept_containment",
        target=row.key,
        details=details,
    )


def manual_clash(
    session: Session, *, model: str, state: RouteState, changes: Mapping[str, Any]
) -> str | None:
    """Why an automatic change may not go ahead over a person's containment, or None."""
    changed = [n for n, v in changes.items() if getattr(state, n, None) != v]
    for row in containment_in_force(list_actions(session, model=model)):
        if is_automatic(row.trigger):
            continue
        fields = overridden_fields(
            changed, changed_fields(row.before_state or {}, row.after_state or {})
        )
        if fields:
            return (
                f"refused: it would override {row.trigger}'s {row.type} (action {row.id}: "
                f"{', '.join(sorted(fields))}); a person decides, `redline actions apply` does it"
            )
    return None
