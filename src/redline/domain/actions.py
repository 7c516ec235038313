"""Containment actions as data: their types and the states an action goes through."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ActionStatus", "ActionType"]


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


class ActionStatus(StrEnum):
    """requested → applied → verified | failed → reverted; verified → failed on a canary failure."""

    REQUESTED = "requested"
    APPLIED = "applied"
    VERIFIED = "verified"
    FAILED = "failed"
    REVERTED = "reverted"
