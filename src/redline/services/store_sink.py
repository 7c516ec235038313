"""The embedded sink: a Guard's closed windows written straight through the store."""

from __future__ import annotations

import logging
from collections import deque

from redline.errors import StoreError
from redline.guard.sinks import ClosedWindow
from redline.notify import Notifier
from redline.profiles.reference import Reference
from redline.services.ingest import record_window
from redline.services.notifications import deliver_pending
from redline.services.response import ResponsePlan
from redline.store import Store

__all__ = ["StoreSink"]

log = logging.getLogger("redline.services")


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
