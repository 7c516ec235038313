"""Ingest closed windows and their signals into the store."""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime

from redline.errors import StoreError
from redline.guard.sinks import ClosedWindow
from redline.notify import Notifier
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.actions import verify_actions_in
from redline.services.labels import (
    ServedPrediction,
    performance_signals_in,
    record_labels_in,
    record_served_in,
)
from redline.services.notifications import deliver_pending
from redline.services.response import ResponsePlan
from redline.services.review import queue_for_review_in
from redline.services.triage import advance_incidents_in, triage_signals_in
from redline.store import (
    Session,
    SignalRow,
    Store,
    add_signals,
    add_window,
    list_incidents,
    list_windows,
    mark_window_evaluated,
)

__all__ = ["StoreSink", "list_window_profiles", "record_window", "record_window_in"]

log = logging.getLogger("redline.services")


def record_window_in(session: Session, closed: ClosedWindow) -> list[SignalRow] | None:
    """Store a closed window with its signals, labels, served rows and review items.

    Returns the stored signal rows, or None when the window was already stored.
    """
    window = closed.window
    start = window.start or datetime.now(UTC)
    end = window.end or start
    _, created = add_window(
        session,
        window_id=window.window_id,
        model=closed.model,
        start=start,
        end=end,
        n_rows=window.n_rows,
        payload=window.to_dict(),
    )
    if not created:
        return None
    rows = add_signals(session, signals=closed.signals, window_id=window.window_id)
    if closed.served:
        served = [ServedPrediction(rid, value, route, end) for rid, value, route in closed.served]
        record_served_in(session, model=closed.model, window_id=window.window_id, served=served)
    if closed.feedback:
        record_labels_in(session, model=closed.model, labels=closed.feedback)
    if closed.reviews:
        open_now = list_incidents(session, model=closed.model, open_only=True, limit=1)
        incident = open_now[0].key if open_now else None
        items = [{**item, "incident": incident} for item in closed.reviews]
        queue_for_review_in(session, model=closed.model, items=items, now=end)
    mark_window_evaluated(session, window_id=window.window_id, at=datetime.now(UTC))
    return rows


def record_window(
    store: Store,
    closed: ClosedWindow,
    *,
    plan: ResponsePlan | None = None,
    reference: Reference | None = None,
) -> bool:
    """Store a closed window and, given a response ``plan``, respond to it.

    Responding means: verify applied actions against the routes the window shows, triage its
    signals and any realized-performance drop (labels joined against ``reference``'s
    baseline) into incidents, and advance incidents whose guards now hold. One transaction:
    everything lands together or not at all. Returns False when the window was already stored.
    """
    # The Guard's clock: what happened is dated when the window closed, not when it was stored.
    now = closed.window.end or datetime.now(UTC)
    model = closed.model
    with store.session() as session:
        rows = record_window_in(session, closed)
        if rows is None:
            return False
        if plan is not None:
            verify_actions_in(
                session, model=model, window=closed.window, now=now, signals=closed.signals
            )
            triage_signals_in(session, model=model, rows=rows, now=now, plan=plan)
            if reference is not None:
                drops = performance_signals_in(session, model=model, reference=reference, now=now)
                if drops:
                    triage_signals_in(session, model=model, rows=drops, now=now, plan=plan)
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
        reference: Reference | None = None,
        notifier: Notifier | None = None,
        max_backlog: int = 256,
    ) -> None:
        self.store = store
        self.reference = reference
        self.plan = plan if plan is not None else ResponsePlan()
        self.notifier = notifier if notifier is not None else Notifier(self.plan.channels)
        self._backlog: deque[ClosedWindow] = deque(maxlen=max_backlog)

    def write(self, closed: ClosedWindow) -> None:
        """Write this window and any backlog; on a store failure keep them for the next call."""
        self._backlog.append(closed)
        while self._backlog:
            item = self._backlog[0]
            try:
                record_window(self.store, item, plan=self.plan, reference=self.reference)
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
