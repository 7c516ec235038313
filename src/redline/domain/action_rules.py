"""The containment-action status table: requested → applied → verified | failed → reverted.

A verified action can still fail, but only on a canary failure on the route it put in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from redline.domain.actions import ACTION_SPECS, ActionStatus, ActionType
from redline.domain.transitions import TransitionError

__all__ = [
    "ACTION_RULES",
    "CANARY_FAILURE",
    "FINAL_ONCE_VERIFIED",
    "REVERSIBLE",
    "ActionRule",
    "advance_action",
    "is_reversible",
    "next_action_statuses",
]

A = ActionStatus

#: The evidence a verified action can fail on: canaries answering wrong on its route.
CANARY_FAILURE = "canary_failure"

#: Action types that change the data plane and can therefore be undone (``ActionSpec.reversible``).
#: A snapshot only reads, and a page cannot be unsent, so neither is reversible.
REVERSIBLE = frozenset(t for t, spec in ACTION_SPECS.items() if spec.reversible)
#: Types whose verification is final (``ActionSpec.final_once_verified``): a verified restore
#: already reverted the containment it lifted; contain with a new action.
FINAL_ONCE_VERIFIED = frozenset(t for t, spec in ACTION_SPECS.items() if spec.final_once_verified)


@dataclass(frozen=True, slots=True)
class ActionRule:
    """FROM ``source`` TO ``target``; ``needs_change`` gates reverts, ``needs`` the evidence."""

    source: ActionStatus
    target: ActionStatus
    reason: str
    needs_change: bool = False
    needs: str | None = None


#: Every allowed move; anything not listed (including staying put) is refused.
ACTION_RULES: tuple[ActionRule, ...] = (
    ActionRule(A.REQUESTED, A.APPLIED, "the change reached the data plane"),
    ActionRule(A.REQUESTED, A.FAILED, "the change could not be made"),
    ActionRule(A.APPLIED, A.VERIFIED, "read-back, canaries and one window confirm it"),
    ActionRule(A.APPLIED, A.FAILED, "verification showed the route is not serving"),
    ActionRule(A.APPLIED, A.REVERTED, "undone before verification finished"),
    ActionRule(A.VERIFIED, A.REVERTED, "undone after containment is no longer needed"),
    ActionRule(
        A.VERIFIED,
        A.FAILED,
        "canaries later failed on the route it put in place; a drift signal is not enough",
        needs=CANARY_FAILURE,
    ),
    ActionRule(
        A.FAILED,
        A.REVERTED,
        "a half-made change is undone; nothing to undo if nothing changed",
        needs_change=True,
    ),
)


def is_reversible(action_type: ActionType) -> bool:
    """True when an action of this type can be reverted."""
    return action_type in REVERSIBLE


def next_action_statuses(status: ActionStatus) -> tuple[ActionStatus, ...]:
    """The statuses an action may move to from ``status``, in table order."""
    return tuple(r.target for r in ACTION_RULES if r.source is status)


def _refuse(status: ActionStatus, to: ActionStatus, why: str, guard: str | None) -> TransitionError:
    allowed = ", ".join(next_action_statuses(status)) or "none (final)"
    return TransitionError(
        f"cannot move action from {status} to {to}: {why} (allowed: {allowed})",
        status=status.value,
        event=to.value,
        guard=guard,
    )


def advance_action(
    status: ActionStatus,
    to: ActionStatus,
    *,
    changed: bool = True,
    action_type: ActionType | None = None,
    evidence: str | None = None,
) -> ActionStatus:
    """Return ``to`` if the table, ``changed``, ``action_type`` and ``evidence`` allow it."""
    rule = next((r for r in ACTION_RULES if r.source is status and r.target is to), None)
    if rule is None:
        raise _refuse(status, to, "not in the action table", None)
    if rule.needs_change and not changed:
        raise _refuse(status, to, "the failed action changed nothing", "something_changed")
    if rule.needs is not None and evidence != rule.needs:
        raise _refuse(
            status, to, f"only a {rule.needs} shows it ({evidence or 'none'} given)", "evidence"
        )
    if to is A.REVERTED and action_type is not None and not is_reversible(action_type):
        raise _refuse(status, to, f"a {action_type} action cannot be undone", "reversible")
    if to is A.REVERTED and status is A.VERIFIED and action_type in FINAL_ONCE_VERIFIED:
        why = f"a verified {action_type} is final; apply a new action to contain again"
        raise _refuse(status, to, why, "final")
    return to
