"""Ingest closed windows and their signals into the store."""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime

from redline.domain import Signal
from redline.errors import StoreError
from redline.guard.sinks import Feedback
from redline.profiles.window import WindowProfile
from redline.store import Store, add_signals, add_window, list_windows, mark_window_evaluated

__all__ = ["StoreSink", "list_window_profiles", "record_window"]

log = logging.getLogger("redline.services")


def record_window(
    store: Store,
    *,
    model: str,
    window: WindowProfile,
    signals: list[Signal],
    feedback: list[Feedback],
) -> bool:
    """Store a window, its signals and feedback in one transaction; False if it was already there."""
    payload = window.to_dict()
    payload["feedback"] = [
        {"request_id": f.request_id, "label": f.label, "at": f.at.isoformat()} for f in feedback
    ]
    start = window.start or datetime.now(UTC)
    end = window.end or start
    with store.session() as session:
        _, created = add_window(
            session,
            window_id=window.window_id,
            model=model,
            start=start,
            end=end,
            n_rows=window.n_rows,
            payload=payload,
        )
        if not created:
            return False
        add_signals(session, signals=signals, window_id=window.window_id)
        mark_window_evaluated(session, window_id=window.window_id, at=datetime.now(UTC))
    return True


def list_window_profiles(store: Store, *, model: str, limit: int = 100) -> list[WindowProfile]:
    """The stored windows of a model, oldest first."""
    with store.session() as session:
        rows = list_windows(session, model=model, limit=limit)
        return [WindowProfile.from_dict(row.payload) for row in rows]


class StoreSink:
    """The embedded sink: writes through the store; keeps a bounded backlog while it is down."""

    def __init__(self, store: Store, *, max_backlog: int = 256) -> None:
        self.store = store
        self._backlog: deque[tuple[str, WindowProfile, list[Signal], list[Feedback]]] = deque(
            maxlen=max_backlog
        )

    def write(
        self, model: str, window: WindowProfile, signals: list[Signal], feedback: list[Feedback]
    ) -> None:
        """Write this window and any backlog; on a store failure keep them for the next call."""
        self._backlog.append((model, window, signals, feedback))
        while self._backlog:
            item = self._backlog[0]
            try:
                record_window(
                    self.store, model=item[0], window=item[1], signals=item[2], feedback=item[3]
                )
            except StoreError as exc:
                log.warning(
                    "store unavailable, %d windows kept for retry: %s", len(self._backlog), exc
                )
                return
            self._backlog.popleft()

    @property
    def backlog(self) -> int:
        """Windows waiting for the store to come back."""
        return len(self._backlog)

    def close(self) -> None:
        """Dispose of the engine."""
        self.store.dispose()
