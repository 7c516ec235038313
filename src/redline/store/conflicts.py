"""Errors for writes based on a stale read: re-read the latest row, then try again."""

from __future__ import annotations

from redline.errors import StoreError

__all__ = ["StaleChainError", "StaleRevisionError"]


class StaleRevisionError(StoreError):
    """A RouteState revision is not exactly the latest one plus one."""


class StaleChainError(StoreError):
    """A hash-chained append does not follow the last entry (another writer came first)."""
