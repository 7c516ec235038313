"""The way out of a containment: a restore routes back to the primary and is verified.

``EXIT_RULES`` say when the system asks for one; ``RESTORE_LINKS`` what its outcome does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from redline.domain import ActionStatus, ActionType, IncidentStatus, RouteState, Signal
from redline.domain.action_rules import advance_action
from redline.domain.containment import (
    RESTORABLE,
    ExitStep,
    RestoreLink,
    changed_fields,
    exit_step,
    restore_fields,
    restore_links,
)
from redline.errors import RedlineError
from redline.services.action_failures import mark_applied_in, record_action_event
from redline.services.containment import containment_in_force, in_force
from redline.services.effects import revert_changes
from redline.services.incidents import IncidentNotFoundError, incident_facts
from redline.services.routes import change_route, current_route
from redline.store import (
    ActionRow,
    IncidentRow,
    Session,
    Store,
    add_action,
    get_action,
    get_incident,
    list_actions,
    list_incidents,
    save_action,
)

__all__ = [
    "RestoreError",
    "restore_incident",
    "settle_restore_in",
    "start_due_restores_in",
    "start_restore_in",
]


class RestoreError(RedlineError):
    """A restore cannot be started as asked."""


def start_restore_in(
    session: Session, incident: IncidentRow, *, actor: str, now: datetime, reason: str
) -> ActionRow:
    """Route the incident's model back to the primary, undoing the containment still in force."""
    status = IncidentStatus(incident.status)
    if status not in RESTORABLE:
        allowed = ", ".join(sorted(RESTORABLE))
        raise RestoreError(f"{incident.key} is {status}: restore it from {allowed}")
    facts = incident_facts(session, incident)
    lifted = containment_in_force(list_actions(session, incident_id=incident.id))
    if not lifted or facts.restore_pending:
        why = "a restore is already waiting" if facts.restore_pending else "no containment"
        raise RestoreError(f"nothing to restore for {incident.key}: {why}")
    ids = sorted(a.id for a in lifted)
    state = current_route(session, model=incident.model)
    changes, kept = _restore_changes(session, incident.model, lifted, state)
    params = {"lifts": ids, "kept": kept, "reason": reason}
    row, _ = add_action(
        session,
        idempotency_key=f"{incident.key}:restore:{uuid.uuid4().hex}",
        model=incident.model,
        type=ActionType.RESTORE,
        trigger=actor,
        params=params,
        requested_at=now,
        incident_id=incident.id,
        before_state=state.to_dict(),
    )
    before, after = change_route(session, model=incident.model, actor=actor, at=now, **changes)
    details = {"revision": after.revision, **params}
    mark_applied_in(session, row, before=before, after=after, at=now, actor=actor, details=details)
    return row


def restore_incident(
    store: Store, *, key: str, actor: str, reason: str = "", now: datetime | None = None
) -> int:
    """Ask for a restore of an incident's containment (one transaction); returns its action id."""
    with store.session() as session:
        incident = get_incident(session, key=key)
        if incident is None:
            raise IncidentNotFoundError(f"no incident {key!r}; `redline incidents list` shows them")
        why = reason or "a person asked for the primary back"
        at = now or datetime.now(UTC)
        return start_restore_in(session, incident, actor=actor, now=at, reason=why).id


def _restore_changes(
    session: Session, model: str, lifted: list[ActionRow], state: RouteState
) -> tuple[dict[str, Any], list[str]]:
    """The route fields that undo ``lifted``, and those kept for other containment in force."""
    ids = {a.id for a in lifted}
    others = containment_in_force(list_actions(session, model=model))
    kept: set[str] = set()
    for other in others:
        if other.id not in ids:
            kept |= changed_fields(other.before_state or {}, other.after_state or {})
    raw = restore_fields([(a.before_state or {}, a.after_state or {}) for a in lifted], kept)
    restored = RouteState.from_dict({**state.to_dict(), **raw})
    return {name: getattr(restored, name) for name in raw if name != "model"}, sorted(kept)


def start_due_restores_in(
    session: Session,
    *,
    model: str,
    signals: Sequence[Signal],
    now: datetime,
    exit_windows: int = 3,
) -> list[ActionRow]:
    """Start a restore for each open incident of ``model`` whose exit rule asks for one."""
    if signals:  # this window's signals are about to reset the quiet count: not now
        return []
    started = []
    for incident in list_incidents(session, model=model, open_only=True, limit=50):
        facts = incident_facts(session, incident, exit_windows=exit_windows)
        if exit_step(IncidentStatus(incident.status), facts) is ExitStep.RESTORE:
            reason = f"exit criteria held for {facts.exit_windows_quiet} windows"
            started.append(
                start_restore_in(session, incident, actor="system", now=now, reason=reason)
            )
    return started


def settle_restore_in(session: Session, row: ActionRow, *, now: datetime) -> None:
    """Apply what the restore's new status sets off (``RESTORE_LINKS``)."""
    for link in restore_links(ActionStatus(row.status)):
        if link.moves == "lifted":
            for action_id in row.params.get("lifts", []):
                lifted = get_action(session, action_id=int(action_id))
                if lifted is not None and in_force(lifted):
                    _revert_status(session, lifted, link, restore_id=row.id, now=now)
        else:
            current = current_route(session, model=row.model)
            changes = revert_changes(row.before_state or {}, row.after_state or {}, current)
            if changes:
                change_route(session, model=row.model, actor="system", at=now, **changes)
            _revert_status(session, row, link, restore_id=row.id, now=now)


def _revert_status(
    session: Session, row: ActionRow, link: RestoreLink, *, restore_id: int, now: datetime
) -> None:
    status = advance_action(ActionStatus(row.status), link.to, changed=row.after_state is not None)
    save_action(session, action_id=row.id, status=status, reverted_at=now)
    details = {"restore_id": restore_id, "reason": link.reason}
    record_action_event(session, row, now, "system", "action_reverted", details)
