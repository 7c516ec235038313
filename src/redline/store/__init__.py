"""The store: tables, queries and migrations — the only place that knows SQL."""

from __future__ import annotations

from redline.store.engine import (
    Store,
    create_engine_for,
    current_revision,
    downgrade,
    session_factory,
    upgrade,
)
from redline.store.queries import (
    add_reference,
    add_signals,
    add_window,
    get_latest_reference,
    get_window,
    list_signals,
    list_unevaluated_windows,
    list_windows,
    mark_window_evaluated,
)
from redline.store.tables import Base, ReferenceRow, SignalRow, WindowRow

__all__ = [
    "Base",
    "ReferenceRow",
    "SignalRow",
    "Store",
    "WindowRow",
    "add_reference",
    "add_signals",
    "add_window",
    "create_engine_for",
    "current_revision",
    "downgrade",
    "get_latest_reference",
    "get_window",
    "list_signals",
    "list_unevaluated_windows",
    "list_windows",
    "mark_window_evaluated",
    "session_factory",
    "upgrade",
]
