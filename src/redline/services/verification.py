"""Whether an applied action shows in the windows that follow it: verified, failed or not yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from redline.domain import ActionStatus, ActionType, Signal
from redline.domain.action_rules import advance_action
from redline.domain.actions import ACTION_SPECS, ActionSpec
from redline.profiles.window import WindowProfile
from redline.services.action_failures import (
    fail_action_in,
    failed_canaries,
    failed_verification_in,
    record_action_event,
)
from redline.services.restore import settle_restore_in
from redline.store import ActionRow, Session, save_action

__all__ = ["judge_applied_in"]


def judge_applied_in(
    session: Session,
    row: ActionRow,
    window: WindowProfile,
    signals: Sequence[Signal],
    now: datetime,
) -> bool:
    """Verify or fail one applied action on ``window``; False when the window cannot tell yet.

    What the window must show is the action's ``ActionSpec.verification``.
    """
    spec = ACTION_SPECS[ActionType(row.type)]
    revision = int((row.after_state or {}).get("revision", 0))
    served = {route: n for route, n in window.routes.items() if n}
    evidence = {
        "window_id": window.window_id,
        "route_revision": window.route_revision,
        "routes": served,
    }
    expected = spec.verification.route_names
    serving = window.route_revision >= revision and any(r in served for r in expected)
    if failed := failed_canaries(row, signals):
        fail_action_in(session, row, failed, now=now, evidence=evidence)
    elif not serving or not _shadow_ran(spec, row, window):
        return False
    elif spec.verification.clean_window and signals:
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
    if spec.ends_containment:
        settle_restore_in(session, row, now=now)
    return True


def _shadow_ran(spec: ActionSpec, row: ActionRow, window: WindowProfile) -> bool:
    """A shadow action is only verified once the suspect answered in the window."""
    if not spec.verification.shadow_answered:
        return True
    suspect = (row.after_state or {}).get("shadow_version")
    return int(window.shadow.get(str(suspect), {}).get("n", 0)) > 0
