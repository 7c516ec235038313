"""Whether an applied action shows in the windows that follow it: verified, failed or not yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from redline.domain import ActionStatus, ActionType, Route, Signal
from redline.domain.action_rules import advance_action
from redline.domain.containment import CLEAN_WINDOW_TYPES
from redline.profiles.window import WindowProfile
from redline.services.action_failures import (
    fail_action_in,
    failed_canaries,
    failed_verification_in,
    record_action_event,
)
from redline.services.restore import settle_restore_in
from redline.store import ActionRow, Session, save_action

__all__ = ["EXPECTED_ROUTE", "judge_applied_in"]

#: The route each action should show serving in the windows that follow it.
EXPECTED_ROUTE: dict[ActionType, tuple[str, ...]] = {
    ActionType.KILL_SWITCH: (Route.FALLBACK.value, Route.BLOCK.value),
    ActionType.ROUTE_FALLBACK: (Route.FALLBACK.value, Route.BLOCK.value),
    ActionType.ROLLBACK: (Route.PRIMARY.value,),
    ActionType.SHADOW: (Route.PRIMARY.value,),
    ActionType.THRESHOLD_CHANGE: (Route.PRIMARY.value, Route.REVIEW.value),
    ActionType.BLOCK_SOURCE: (Route.PRIMARY.value, Route.BLOCK.value, Route.FALLBACK.value),
    ActionType.INPUT_FILTER: (
        Route.PRIMARY.value,
        Route.BLOCK.value,
        Route.FALLBACK.value,
        Route.REVIEW.value,
    ),
    ActionType.OUTPUT_PATCH: (Route.PRIMARY.value,),
    ActionType.RESTORE: (Route.PRIMARY.value,),
}


def judge_applied_in(
    session: Session,
    row: ActionRow,
    window: WindowProfile,
    signals: Sequence[Signal],
    now: datetime,
) -> bool:
    """Verify or fail one applied action on ``window``; False when the window cannot tell yet."""
    revision = int((row.after_state or {}).get("revision", 0))
    served = {route: n for route, n in window.routes.items() if n}
    evidence = {
        "window_id": window.window_id,
        "route_revision": window.route_revision,
        "routes": served,
    }
    expected = EXPECTED_ROUTE.get(ActionType(row.type), ())
    serving = window.route_revision >= revision and any(r in served for r in expected)
    if failed := failed_canaries(row, signals):
        fail_action_in(session, row, failed, now=now, evidence=evidence)
    elif not serving or not _shadow_ran(row, window):
        return False
    elif ActionType(row.type) in CLEAN_WINDOW_TYPES and signals:
        kinds = sorted({s.kind for s in signals})
        error = f"the first window on the new route was not clean: {', '.join(kinds)}"
        status = advance_action(ActionStatus.APPLIED, ActionStatus.FAILED)
        evidence = {**evidence, "signals": kinds}
        failed_verification_in(
            session,
            row,
            status=status,
            verification=evidence,
            error=error,
            details=evidence,
            now=now,
        )
    else:
        status = advance_action(ActionStatus.APPLIED, ActionStatus.VERIFIED)
        save_action(
            session, action_id=row.id, status=status, verification=evidence, verified_at=now
        )
        record_action_event(session, row, now, "system", "action_verified", evidence)
    if row.type == ActionType.RESTORE.value:
        settle_restore_in(session, row, now=now)
    return True


def _shadow_ran(row: ActionRow, window: WindowProfile) -> bool:
    """A shadow action is only verified once the suspect answered in the window."""
    if row.type != ActionType.SHADOW.value:
        return True
    suspect = (row.after_state or {}).get("shadow_version")
    return int(window.shadow.get(str(suspect), {}).get("n", 0)) > 0
