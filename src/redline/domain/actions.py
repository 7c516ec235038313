"""Containment actions as data: their types and the states an action goes through."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CONTAINMENT_TYPES", "ActionStatus", "ActionType"]


class ActionType(StrEnum):
    """What a containment action does to the data plane."""

    SNAPSHOT = "snapshot"
    KILL_SWITCH = "kill_switch"
    ROUTE_FALLBACK = "route_fallback"
    ROLLBACK = "rollback"
    SHADOW = "shadow"
    THRESHOLD_CHANGE = "threshold_change"
    INPUT_FILTER = "input_filter"
    BLOCK_SOURCE = "block_source"
    OUTPUT_PATCH = "output_patch"
    PAGE = "page"
    RESTORE = "restore"


class ActionStatus(StrEnum):
    """requested → applied → verified | failed → reverted; verified → failed on a canary failure."""

    REQUESTED = "requested"
    APPLIED = "applied"
    VERIFIED = "verified"
    FAILED = "failed"
    REVERTED = "reverted"


#: Actions that contain an incident by changing the route: not a snapshot or a page, and not
#: the restore that ends a containment (the system's step, never a runbook's).
CONTAINMENT_TYPES = frozenset(ActionType) - {
    ActionType.SNAPSHOT,
    ActionType.PAGE,
    ActionType.RESTORE,
}
