"""Containment actions: apply (RouteState revision), verify (windows show it serving), revert."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redline.domain import ActionStatus, ActionType, Signal
from redline.domain.action_params import check_action_params
from redline.domain.action_rules import advance_action
from redline.domain.actions import ACTION_SPECS
from redline.domain.containment import is_automatic
from redline.profiles.window import WindowProfile
from redline.services.action_failures import (
    fail_action_in,
    failed_canaries,
    mark_applied_in,
    record_action_event,
)
from redline.services.chains import record_event
from redline.services.containment import manual_clash
from redline.services.effects import (
    ActionError,
    record_effect_in,
    revert_changes,
    route_changes,
)
from redline.services.restore import start_due_restores_in
from redline.services.routes import change_route, current_route
from redline.services.snapshots import snapshot_once_in
from redline.services.verification import judge_applied_in
from redline.store import (
    ActionRow,
    Session,
    Store,
    add_action,
    get_action,
    get_incident,
    list_actions,
    save_action,
)

__all__ = [
    "ActionRefusedError",
    "ActionResult",
    "apply_action",
    "apply_action_in",
    "revert_action",
    "verify_actions_in",
]


class ActionRefusedError(ActionError):
    """An automatic action would override containment a person put in place."""


@dataclass(frozen=True)
class ActionResult:
    """What an action did: its id, status and the route revision it produced."""

    action_id: int
    type: ActionType
    status: ActionStatus
    revision: int | None
    created: bool
    error: str | None = None


def _result(row: ActionRow, created: bool) -> ActionResult:
    after = row.after_state or {}
    revision = after.get("revision")
    return ActionResult(
        row.id, ActionType(row.type), ActionStatus(row.status), revision, created, row.error
    )


def apply_action_in(
    session: Session,
    *,
    model: str,
    type: ActionType,
    trigger: str,
    params: Mapping[str, Any] | None = None,
    incident_id: int | None = None,
    idempotency_key: str | None = None,
    now: datetime,
) -> ActionResult:
    """Request and apply an action inside the caller's transaction (a repeat key is a no-op)."""
    spec = ACTION_SPECS[type]
    if not spec.requestable:
        raise ActionError("a restore ends an incident's containment: `redline incidents restore`")
    params = check_action_params(type, params)  # ActionParamError before anything is recorded
    key = idempotency_key or f"{model}:{type.value}:{uuid.uuid4().hex}"
    snapshot_id = _evidence_first(session, incident_id, now, trigger)
    state = current_route(session, model=model)
    row, created = add_action(
        session,
        idempotency_key=key,
        model=model,
        type=type,
        trigger=trigger,
        params=dict(params or {}),
        requested_at=now,
        incident_id=incident_id,
        before_state=state.to_dict(),
        snapshot_id=snapshot_id,
    )
    if not created:
        return _result(row, created=False)
    try:
        changes = route_changes(session, model=model, type=type, state=state, params=row.params)
        clash = manual_clash(session, model=model, state=state, changes=changes)
        if clash is not None and is_automatic(trigger):
            raise ActionRefusedError(clash)
        before, after = change_route(
            session, model=model, actor=trigger, current=state, at=now, **changes
        )
    except ActionError as exc:
        status = advance_action(ActionStatus.REQUESTED, ActionStatus.FAILED)
        save_action(session, action_id=row.id, status=status, error=str(exc), failed_at=now)
        kind = "action_refused" if isinstance(exc, ActionRefusedError) else "action_failed"
        record_action_event(session, row, now, trigger, kind, {"error": str(exc)})
        return _result(row, created=True)
    record_effect_in(
        session,
        type=type,
        model=model,
        version=after.model_version,
        actor=trigger,
        at=now,
        reason=type.value,
        incident_id=incident_id,
    )
    details = {"revision": after.revision, "changes": _jsonable(changes)}
    mark_applied_in(
        session, row, before=before, after=after, at=now, actor=trigger, details=details
    )
    if spec.records_debt and incident_id is not None:
        debt = {
            "action_id": row.id,
            "patch": _jsonable(changes),
            "repay": "retrain or fix, then revert",
        }
        record_event(
            session, incident_id=incident_id, at=now, actor=trigger, kind="debt", details=debt
        )
    return _result(row, created=True)


def _evidence_first(
    session: Session, incident_id: int | None, now: datetime, actor: str
) -> str | None:
    """The incident's snapshot, taken now if it has none: evidence before anything changes."""
    incident = get_incident(session, incident_id=incident_id) if incident_id is not None else None
    if incident is None:
        return None
    return snapshot_once_in(
        session, incident=incident, reason="before_action", now=now, actor=actor
    )


def apply_action(store: Store, *, now: datetime | None = None, **kwargs: Any) -> ActionResult:
    """Apply an action in its own transaction (see :func:`apply_action_in`)."""
    with store.session() as session:
        return apply_action_in(session, now=now or datetime.now(UTC), **kwargs)


def revert_action(
    store: Store, *, action_id: int, actor: str, now: datetime | None = None
) -> ActionResult:
    """Undo what an applied action changed in the RouteState, keeping later changes."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = get_action(session, action_id=action_id)
        if row is None:
            raise ActionError(f"no action {action_id}")
        status = advance_action(
            ActionStatus(row.status), ActionStatus.REVERTED, action_type=ActionType(row.type)
        )
        if row.before_state is not None and row.after_state is not None:
            current = current_route(session, model=row.model)
            changes = revert_changes(row.before_state, row.after_state, current)
            if changes:
                change_route(session, model=row.model, actor=actor, at=at, **changes)
            record_effect_in(
                session,
                type=ActionType(row.type),
                model=row.model,
                version=row.before_state.get("model_version"),
                actor=actor,
                at=at,
                reason=f"revert of {row.type} action {row.id}",
                incident_id=row.incident_id,
            )
        save_action(session, action_id=row.id, status=status, reverted_at=at)
        record_action_event(session, row, at, actor, "action_reverted", {})
        return _result(row, created=False)


def verify_actions_in(
    session: Session,
    *,
    model: str,
    window: WindowProfile,
    now: datetime,
    signals: Sequence[Signal] = (),
    exit_windows: int = 3,
) -> list[ActionResult]:
    """Judge applied actions on a window, recheck verified ones, then start the restores due.

    Verified when the window shows the action's route serving and no canary failed on that
    route (a restore also needs a window without signals); failed, on the timeline, when a
    canary failed on it. A verified action fails only on a later canary failure on its route.
    """
    out = []
    for row in list_actions(session, model=model, status=ActionStatus.VERIFIED):
        spec = ACTION_SPECS[ActionType(row.type)]
        if not spec.contains:
            continue
        routes = spec.verification.route_names
        if failed := failed_canaries(row, signals, routes=routes):
            fail_action_in(session, row, failed, now=now, evidence={"window_id": window.window_id})
            out.append(_result(row, created=False))
    for row in list_actions(session, model=model, status=ActionStatus.APPLIED):
        if judge_applied_in(session, row, window, signals, now):
            out.append(_result(row, created=False))
    due = start_due_restores_in(
        session, model=model, signals=signals, now=now, exit_windows=exit_windows
    )
    return out + [_result(row, created=True) for row in due]


def _jsonable(changes: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if hasattr(value, "to_dict"):
            value = value.to_dict()
        elif isinstance(value, tuple):
            value = [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
        out[name] = value
    return out
