"""The embedded sink: each closed window written, unevaluated, in one transaction; a window the
store cannot take waits in a disk spool until the control loop sends it."""

from __future__ import annotations

import logging
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from redline.domain import Signal
from redline.errors import StoreError
from redline.guard.control import open_in_free_slot
from redline.guard.sinks import ClosedWindow, Feedback
from redline.guard.spool import Spool
from redline.guard.wire import json_safe
from redline.profiles.window import WindowProfile
from redline.services.ingest import store_window, store_windows
from redline.store import Store, upgrade

__all__ = ["StoreSink", "closed_window_of", "window_record"]

log = logging.getLogger("redline.services")

#: Windows sent from the spool per transaction.
DRAIN_BATCH = 50


def window_record(closed: ClosedWindow) -> dict[str, Any]:
    """``closed`` as a JSON object (numpy values as Python values, NaN as null)."""
    record = {
        "model": closed.model,
        "window": closed.window.to_dict(),
        "signals": [s.to_dict() for s in closed.signals],
        "feedback": [[f.request_id, f.label, f.at.isoformat()] for f in closed.feedback],
        "served": [list(item) for item in closed.served],
        "reviews": closed.reviews,
    }
    safe: dict[str, Any] = json_safe(record)
    return safe


def _signal(data: dict[str, Any]) -> Signal:
    nan = {k: math.nan for k in ("value", "threshold") if data.get(k) is None}
    return Signal.from_dict({**data, **nan})


def closed_window_of(record: dict[str, Any]) -> ClosedWindow:
    """Inverse of :func:`window_record`."""
    return ClosedWindow(
        model=record["model"],
        window=WindowProfile.from_dict(record["window"]),
        signals=[_signal(s) for s in record["signals"]],
        feedback=[
            Feedback(r, label, datetime.fromisoformat(at)) for r, label, at in record["feedback"]
        ],
        served=[(r, value, route) for r, value, route in record["served"]],
        reviews=list(record["reviews"]),
    )


class StoreSink:
    """Writes each window with ``store_window`` (one transaction, nothing else); ``drain`` sends
    the spool.

    While the store is down, or while older windows wait in the spool, a window is appended to
    the spool at ``spool_path`` (fsynced; another process holding it makes this sink take the
    next free slot, ``<stem>.1<suffix>`` and on). ``migrate=True`` brings the schema up to date
    on the first ``drain`` that reaches the store. A window the spool cannot take (full, disk
    error) is counted in ``dropped`` and logged with its id.
    """

    def __init__(
        self,
        store: Store,
        *,
        spool_path: str | os.PathLike[str],
        max_spool_bytes: int = 64 * 1024 * 1024,
        migrate: bool = False,
    ) -> None:
        self.store = store
        self.dropped = 0
        self.migrate = migrate
        self._spool = open_in_free_slot(
            Path(spool_path), lambda path: Spool(path, max_bytes=max_spool_bytes)
        )

    @property
    def spool_path(self) -> Path:
        """The spool file this sink holds."""
        return self._spool.path

    @property
    def backlog(self) -> int:
        """Windows waiting in the spool for the store."""
        return self._spool.pending

    def write(self, closed: ClosedWindow) -> bool:
        """Store ``closed`` now (True), or spool it behind older windows or for a store outage."""
        if not self.migrate and not self._spool.pending:
            try:
                store_window(self.store, closed)
                return True
            except StoreError as exc:
                log.warning("store unavailable, window kept in %s: %s", self.spool_path, exc)
        self._keep(closed)
        return False

    def _keep(self, closed: ClosedWindow) -> None:
        try:
            kept = self._spool.append(window_record(closed))
        except Exception:
            kept = False
            log.exception("could not spool window %s of %s", closed.window.window_id, closed.model)
        if not kept:
            self.dropped += 1
            log.error(
                "window %s of %s lost: the spool %s is full or failing (%d lost so far)",
                closed.window.window_id,
                closed.model,
                self.spool_path,
                self.dropped,
            )

    def drain(self) -> int:
        """Migrate if asked, then store the spooled windows oldest first; returns how many.

        Raises StoreError while the store is away (the windows stay in the spool).
        """
        if self.migrate:
            upgrade(self.store.engine)
            self.migrate = False
            log.info("store reachable and migrated; sending %d spooled windows", self.backlog)
        sent = 0
        while self._spool.pending:
            batch = self._spool.peek(max_records=DRAIN_BATCH, max_bytes=8 * 1024 * 1024)
            if not batch.records:
                break
            windows = []
            for record in batch.records:
                try:
                    windows.append(closed_window_of(record))
                except (KeyError, TypeError, ValueError) as exc:
                    log.error("spooled window %s is unreadable and skipped: %s", record, exc)
            store_windows(self.store, windows)
            self._spool.advance(batch.sizes)
            sent += len(windows)
        return sent

    def close(self) -> None:
        """Release the spool file; windows still in it are sent by the next sink on its path."""
        if self.backlog:
            log.warning("%d window(s) wait in %s for the next Guard", self.backlog, self.spool_path)
        self._spool.close()
