"""Ingest closed windows and their signals into the store."""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime

from redline.domain import Signal
from redline.errors import StoreError
from redline.guard.sinks import ClosedWindow, Feedback
from redline.notify import Notifier
from redline.profiles.window import WindowProfile
from redline.services.actions import verify_actions_in
from redline.services.notifications import deliver_pending
from redline.services.response import ResponsePlan
from redline.services.triage import advance_incidents_in, triage_signals_in
from redline.store import (
    Session,
    SignalRow,
    Store,
    add_signals,
    add_window,
    list_windows,
    mark_window_evaluated,
)

__all__ = ["StoreSink", "list_window_profiles", "record_window", "record_window_in"]

log = logging.getLogger("redline.services")


def record_window_in(
    session: Session,
    *,
    model: str,
    window: WindowProfile,
    signals: list[Signal],
    feedback: list[Feedback],
) -> list[SignalRow] | None:
    """Store a window with its signals and feedback; None when the window was already stored."""
    payload = window.to_dict()
    payload["feedback"] = [
        {"request_id": f.request_id, "label": f.label, "at": f.at.isoformat()} for f in feedback
    ]
    start = window.start or datetime.now(UTC)
    _, created = add_window(
        session,
        window_id=window.window_id,
        model=model,
        start=start,
        end=window.end or start,
        n_rows=window.n_rows,
        payload=payload,
    )
    if not created:
        return None
    rows = add_signals(session, signals=signals, window_id=window.window_id)
    mark_window_evaluated(session, window_id=window.window_id, at=datetime.now(UTC))
    return rows


def record_window(
    store: Store,
    *,
    model: str,
    window: WindowProfile,
    signals: list[Signal],
    feedback: list[Feedback],
    plan: ResponsePlan | None = None,
) -> bool:
    """Store a window and, given a response ``plan``, triage its signals, verify actions and
    advance incidents.

    One transaction: the window, its signals and every incident change land together or not
    at all. Returns False when the window was already stored (nothing else happens then).
    """
    now = datetime.now(UTC)
    with store.session() as session:
        rows = record_window_in(
            session, model=model, window=window, signals=signals, feedback=feedback
        )
        if rows is None:
            return False
        if plan is not None:
            verify_actions_in(session, model=model, window=window, now=now)
            triage_signals_in(session, model=model, rows=rows, now=now, plan=plan)
            advance_incidents_in(session, model=model, now=now, exit_windows=plan.exit_windows)
    return True


def list_window_profiles(store: Store, *, model: str, limit: int = 100) -> list[WindowProfile]:
    """The stored windows of a model, oldest first."""
    with store.session() as session:
        rows = list_windows(session, model=model, limit=limit)
        return [WindowProfile.from_dict(row.payload) for row in rows]


class StoreSink:
    """The embedded sink: writes through the store; keeps a bounded backlog while it is down."""

    def __init__(
        self,
        store: Store,
        *,
        plan: ResponsePlan | None = None,
        notifier: Notifier | None = None,
        max_backlog: int = 256,
    ) -> None:
        self.store = store
        self.plan = plan if plan is not None else ResponsePlan()
        self.notifier = notifier if notifier is not None else Notifier(self.plan.channels)
        self._backlog: deque[ClosedWindow] = deque(maxlen=max_backlog)

    def write(self, closed: ClosedWindow) -> None:
        """Write this window and any backlog; on a store failure keep them for the next call."""
        self._backlog.append(closed)
        while self._backlog:
            item = self._backlog[0]
            try:
                record_window(
                    self.store,
                    model=item.model,
                    window=item.window,
                    signals=item.signals,
                    feedback=item.feedback,
                    plan=self.plan,
                )
            except StoreError as exc:
                log.warning(
                    "store unavailable, %d windows kept for retry: %s", len(self._backlog), exc
                )
                return
            self._backlog.popleft()
        try:
            deliver_pending(self.store, self.notifier)
        except StoreError as exc:
            log.warning("notifications wait for the store: %s", exc)

    @property
    def backlog(self) -> int:
        """Windows waiting for the store to come back."""
        return len(self._backlog)

    def close(self) -> None:
        """Dispose of the engine."""
        self.store.dispose()
