"""Pure types and rules: no I/O, no clock, no globals."""

from __future__ import annotations

from redline.domain.columns import ColumnKind
from redline.domain.decision import Decision, Route, RouteState
from redline.domain.signal import Level, Signal

__all__ = ["ColumnKind", "Decision", "Level", "Route", "RouteState", "Signal"]
