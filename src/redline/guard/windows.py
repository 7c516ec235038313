"""The Guard's background thread: fold buffers, close windows, evaluate monitors, write to the sink."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from redline.domain import Signal
from redline.guard.buffer import RowBuffer
from redline.guard.canaries import CanaryResult, CanaryTally
from redline.guard.chunks import Chunk, as_array, coalesce
from redline.guard.sinks import ClosedWindow
from redline.profiles.tabular import Columns, n_rows_of
from redline.profiles.window import WindowProfile

if TYPE_CHECKING:
    from redline.guard.guard import GuardEngine
    from redline.monitors.registry import MonitorSuite

__all__ = ["WindowWorker"]

#: Fold once this many rows wait, even when more are queued.
_COALESCE_ROWS = 65_536

log = logging.getLogger("redline.guard")


class WindowWorker:
    """Owns the open WindowProfile; the only thread that folds, evaluates or writes."""

    def __init__(
        self, *, guard: GuardEngine, suite: MonitorSuite, window_s: float, max_pending_rows: int
    ) -> None:
        self._guard = guard
        self._suite = suite
        self._window_s = window_s
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._max_pending_rows = max_pending_rows
        self._queued_rows = 0
        self._count_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name=f"redline-guard-{guard.model}", daemon=True
        )
        self._window = self._new_window()
        self._deadline = time.monotonic() + window_s
        self.dropped = 0
        self._pending: list[Chunk] = []
        self._served: list[tuple[str, Any, str]] = []
        self._pending_rows = 0
        self._canaries = CanaryTally()
        self.closed_windows = 0
        self._busy_since: float | None = None  # monotonic start of the close under way
        self._busiest_s = 0.0  # the longest close since the last window handed over

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    @property
    def busy_s(self) -> float:
        """Seconds the thread has spent closing and handing over one window so far (0: idle)."""
        since = self._busy_since
        return 0.0 if since is None else max(time.monotonic() - since, 0.0)

    def _new_window(self) -> WindowProfile:
        return WindowProfile.empty(self._guard.reference, start=self._guard._clock())

    def _admit(self, n: int) -> bool:
        """Room for ``n`` more queued rows? Otherwise count them as dropped."""
        with self._count_lock:
            if self._queued_rows + n > self._max_pending_rows:
                self.dropped += n
                return False
            self._queued_rows += n
            return True

    def submit(self, buffer: RowBuffer) -> None:
        """Queue a full buffer without blocking; its rows are dropped when too many wait."""
        if self._admit(buffer.n):
            self._queue.put_nowait(("rows", buffer))

    def submit_batch(
        self,
        columns: Columns,
        values: Any,
        per_row_ms: float,
        sources: list[str | None] | None,
        route: str,
    ) -> None:
        """Queue a whole batch without blocking; its rows are dropped when too many wait."""
        if self._admit(n_rows_of(columns)):
            self._queue.put_nowait(("batch", (columns, values, per_row_ms, sources, route)))

    def submit_canaries(self, results: list[CanaryResult]) -> None:
        """Queue a canary run's results; a failure closes the open window as soon as it arrives."""
        self._queue.put_nowait(("canaries", results))

    def close_window(self, timeout_s: float) -> None:
        """Ask the thread to close the open window and wait for it."""
        done = threading.Event()
        self._queue.put(("close", done), timeout=timeout_s)
        done.wait(timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Close the open window and end the thread."""
        if not self._thread.is_alive():
            return
        done = threading.Event()
        self._queue.put(("stop", done), timeout=timeout_s)
        done.wait(timeout_s)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            try:
                kind, payload = self._queue.get(timeout=max(self._deadline - time.monotonic(), 0.0))
            except queue.Empty:
                kind, payload = "tick", None
            # A failed canary is critical: its signal should not wait for the end of the window.
            failed = kind == "canaries" and self._canaries.add(payload)
            try:
                if kind == "rows" and payload.n:
                    self._hold(Chunk.of_buffer(payload))
                elif kind == "batch":
                    self._hold(_batch_chunk(*payload))
                if self._queue.empty() or self._pending_rows >= _COALESCE_ROWS:
                    self._fold_pending()
            except Exception:
                log.exception("redline could not fold a batch of %s", self._guard.model)
                self._pending, self._pending_rows = [], 0
            if kind in ("close", "stop") or failed or time.monotonic() >= self._deadline:
                self._close()
            if kind in ("close", "stop"):
                payload.set()
                if kind == "stop":
                    return

    def _hold(self, chunk: Chunk, *, queued: bool = True) -> None:
        self._pending.append(chunk)
        self._pending_rows += chunk.n
        if queued:
            with self._count_lock:
                self._queued_rows -= chunk.n

    def _fold_pending(self) -> None:
        pending, self._pending, self._pending_rows = self._pending, [], 0
        for chunk in coalesce(pending):
            self._fold(chunk)

    def _fold(self, chunk: Chunk) -> None:
        guard = self._guard
        window = self._window
        columns = chunk.columns
        if guard._derived is not None:
            columns = guard._derived.derive(columns)
        if guard._prediction_column is not None:
            columns = {**columns, guard._prediction_column: as_array(chunk.predictions)}
        if guard._confidence_column is not None and guard._confidence is not None:
            confidences = _confidences(guard._confidence, chunk.predictions)
            columns = {**columns, guard._confidence_column: confidences}
        window.fold(guard.reference, columns, latency_ms=chunk.latency_ms, sources=chunk.sources)
        window.errors += chunk.errors
        if guard.record_served:
            self._served.extend(chunk.served)
        if guard._leaks:
            guard._leaks.scan(chunk.served)
        for name, count in chunk.unknown.items():
            window.unknown[name] = window.unknown.get(name, 0) + count
        for route, count in chunk.routes.items():
            window.routes[route] = window.routes.get(route, 0) + count

    def _close(self) -> None:
        self._busy_since = since = time.monotonic()
        try:
            self._close_window()
        finally:
            self._busy_since = None
            self._busiest_s = max(self._busiest_s, time.monotonic() - since)

    def _figures(self) -> dict[str, float]:
        """The control path's figures a closing window carries (``WindowProfile.guard``): the
        route's age, and the longest close since the previous window (that one's included)."""
        figures = {"window_thread_busy_s": round(self._busiest_s, 6)}
        self._busiest_s = 0.0
        try:
            route_age_s = self._guard._route_age()
        except Exception:  # a route source's own age must not cost the window
            log.exception("redline could not read the route's age for %s", self._guard.model)
            route_age_s = None
        if route_age_s is not None:
            figures["route_age_s"] = round(route_age_s, 6)
        return figures

    def _derived_signals(self, window: WindowProfile) -> list[Signal]:
        derived = self._guard._derived
        assert derived is not None
        try:
            return derived.signals(self._guard.model, window)
        except Exception:  # a failing deriver must not cost the window
            log.exception("redline could not read derived signals of %s", self._guard.model)
            return []

    def _close_window(self) -> None:
        buffer, feedback = self._guard._take()
        try:
            if buffer.n:
                self._hold(Chunk.of_buffer(buffer), queued=False)
            self._fold_pending()
        except Exception:
            log.exception("redline could not fold the last rows of %s", self._guard.model)
        window = self._window
        window.end = self._guard._clock()
        window.route_revision = self._guard.route.revision
        window.guard = self._figures()
        window.shadow = {s.version: s.to_dict() for s in self._guard._shadow.take()}
        self._window = self._new_window()
        self._deadline = time.monotonic() + self._window_s
        canary_signals = self._canaries.signals(self._guard.model, window)
        canary_signals += self._guard._leaks.signals(self._guard.model, window)
        if self._guard._derived is not None:
            canary_signals += self._derived_signals(window)
        if window.n_rows == 0 and not feedback and not canary_signals:
            self._served = []
            return
        signals: list[Signal] = []
        try:
            if window.n_rows or feedback:
                signals = self._suite.evaluate(window)
        except Exception:
            log.exception("redline monitors failed on a window of %s", self._guard.model)
        signals += canary_signals
        reviews = self._guard._take_reviews()
        closed = ClosedWindow(self._guard.model, window, signals, feedback, self._served, reviews)
        self._served = []
        try:
            self._guard.sink.write(closed)
        except Exception:
            log.exception("redline could not write a window of %s", self._guard.model)
        self.closed_windows += 1
        self._guard.route_written()


def _batch_chunk(
    columns: Columns, values: Any, per_row_ms: float, sources: list[str | None] | None, route: str
) -> Chunk:
    n = n_rows_of(columns)
    predictions = values if route == "primary" else [None] * n
    return Chunk(columns, predictions, np.full(n, per_row_ms), sources, n, Counter({route: n}))


def _confidences(fn: Any, predictions: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    out = np.full(len(predictions), np.nan)
    for i, value in enumerate(predictions):
        try:
            out[i] = fn(value)
        except Exception:  # a confidence that cannot be read is a missing value
            continue
    return out
