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
from redline.store import Store, upgrade

__all__ = ["StoreSink"]

log = logging.getLogger("redline.services")


class StoreSink:
    """The embedded sink: writes through the store; keeps a bounded backlog while it is down.

    ``migrate=True`` brings the schema up to date before the first write that reaches the
    store (a Guard started while its store was unreachable). A window pushed out of a full
    backlog, or left in it at close, is counted in ``dropped`` and logged with its id.
    """

    def __init__(
        self,
        store: Store,
        *,
        plan: ResponsePlan | None = None,
        reference: Reference | None = None,
        notifier: Notifier | None = None,
        max_backlog: int = 256,
        migrate: bool = False,
    ) -> None:
        self.store = store
        self.reference = reference
        self.plan = plan if plan is not None else ResponsePlan()
        self.notifier = notifier if notifier is not None else Notifier(self.plan.channels)
        self.max_backlog = max_backlog
        self.dropped = 0
        self._migrate = migrate
        self._backlog: deque[ClosedWindow] = deque()

    def write(self, closed: ClosedWindow) -> None:
        """Write this window and any backlog; on a store failure keep them for the next call."""
        if len(self._backlog) >= self.max_backlog:
            self._drop(self._backlog.popleft(), "the backlog is full")
        self._backlog.append(closed)
        if self._migrate and not self._migrated():
            return
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

    def _migrated(self) -> bool:
        try:
            upgrade(self.store.engine)
        except StoreError as exc:
            log.warning("store still unavailable, %d windows kept: %s", len(self._backlog), exc)
            return False
        self._migrate = False
        log.info("store reachable again and migrated; sending %d windows", len(self._backlog))
        return True

    def _drop(self, closed: ClosedWindow, why: str) -> None:
        self.dropped += 1
        log.error(
            "window %s of %s lost: %s while the store is unavailable (%d lost so far)",
            closed.window.window_id,
            closed.model,
            why,
            self.dropped,
        )

    @property
    def backlog(self) -> int:
        """Windows waiting for the store to come back."""
        return len(self._backlog)

    def close(self) -> None:
        """Dispose of the engine; windows still waiting are counted and logged as lost."""
        while self._backlog:
            self._drop(self._backlog.popleft(), "the Guard closed")
        self.store.dispose()
