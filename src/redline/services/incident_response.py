"""The policy's response to an incident's signals: declare SEV1/SEV2, then run its actions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from redline.domain import (
    ActionStatus,
    ActionType,
    IncidentEvent,
    IncidentStatus,
    Severity,
    Signal,
)
from redline.domain.kinds import SOURCE_KINDS
from redline.domain.severity import SeverityDecision
from redline.services.actions import apply_action_in
from redline.services.chains import record_event
from redline.services.incidents import CONTAINMENT_TYPES, transition_in
from redline.services.notifications import queue_notice
from redline.services.response import ResponsePlan
from redline.services.snapshots import snapshot_once_in
from redline.store import IncidentRow, Session, list_actions, list_notifications

__all__ = ["respond_in"]


def respond_in(
    session: Session,
    row: IncidentRow,
    decision: SeverityDecision,
    *,
    now: datetime,
    plan: ResponsePlan,
) -> None:
    """Declare SEV1/SEV2 incidents and run the policy's actions in order, once per incident."""
    severity = Severity(row.severity)
    if severity.rank > 2:
        return
    actor = f"policy:{decision.rules[0]}"
    if row.status == IncidentStatus.TRIAGE.value:
        transition_in(
            session,
            row,
            IncidentEvent.DECLARE,
            actor=actor,
            now=now,
            reason=f"{row.severity} by {', '.join(decision.rules)}",
        )
    for action in decision.actions:
        if action in CONTAINMENT_TYPES:
            params = _params(action, decision.signals, plan.action_params(severity, action))
            apply_action_in(
                session,
                model=row.model,
                type=action,
                trigger=actor,
                params=params,
                incident_id=row.id,
                idempotency_key=_attempt_key(session, row, action),
                now=now,
            )
        elif action == ActionType.PAGE:
            if not _already_paged(session, row):
                queue_notice(
                    session,
                    row,
                    event="trigger",
                    channels=plan.paged.get(severity, ()),
                    summary=row.title,
                    now=now,
                )
        elif action == ActionType.SNAPSHOT:
            snapshot_once_in(session, incident=row, reason="declared", now=now, actor=actor)
        else:
            _record_unavailable(session, row, action, now)


def _attempt_key(session: Session, row: IncidentRow, action: ActionType) -> str:
    """Once per incident and attempt: after a restore lifted the last one (the incident came
    back), the policy may contain it again; while one is in force or was refused, it may not."""
    lifted = list_actions(session, incident_id=row.id, status=ActionStatus.REVERTED)
    attempt = sum(a.type == action.value for a in lifted)
    return f"{row.key}:{action.value}" + (f":{attempt + 1}" if attempt else "")


def _already_paged(session: Session, row: IncidentRow) -> bool:
    return any(n.event == "trigger" for n in list_notifications(session, incident_id=row.id))


def _params(action: ActionType, signals: Sequence[Signal], given: dict[str, Any]) -> dict[str, Any]:
    """The playbook's params, with what the signals name: sources to block, a token cap."""
    if action == ActionType.BLOCK_SOURCE:
        sources = [s.evidence.get("source") for s in signals if s.kind in SOURCE_KINDS]
        return {**given, "sources": [s for s in sources if s]}
    if action == ActionType.LIMIT_GENERATION and "max_tokens" not in given:
        # a runaway-generation signal suggests a cap from the reference; the playbook's wins
        caps = [c for s in signals if isinstance(c := s.evidence.get("max_tokens"), int) and c >= 1]
        return {**given, "max_tokens": min(caps)} if caps else given
    return given


def _record_unavailable(
    session: Session, row: IncidentRow, action: ActionType, now: datetime
) -> None:
    why = "this action is not run automatically"
    record_event(
        session,
        incident_id=row.id,
        at=now,
        actor="system",
        kind=f"{action.value}_skipped",
        details={"reason": why},
    )
