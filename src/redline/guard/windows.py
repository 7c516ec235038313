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
from redline.monitors.registry import MonitorSuite
from redline.profiles.tabular import Columns, n_rows_of
from redline.profiles.window import WindowProfile

if TYPE_CHECKING:
    from redline.guard.guard import Guard

__all__ = ["WindowWorker"]

log = logging.getLogger("redline.guard")


class WindowWorker:
    """Owns the open WindowProfile; the only thread that folds, evaluates or writes."""

    def __init__(
        self, *, guard: Guard, suite: MonitorSuite, window_s: float, max_pending: int
    ) -> None:
        self._guard = guard
        self._suite = suite
        self._window_s = window_s
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=max_pending)
        self._thread = threading.Thread(
            target=self._run, name=f"redline-guard-{guard.model}", daemon=True
        )
        self._window = self._new_window()
        self._deadline = time.monotonic() + window_s
        self.dropped = 0
        self.closed_windows = 0

    def start(self) -> None:
        """Start the background thread."""
        self._thread.start()

    def _new_window(self) -> WindowProfile:
        return WindowProfile.empty(self._guard.reference, start=self._guard._clock())

    def submit(self, buffer: RowBuffer) -> None:
        """Queue a full buffer without blocking; count its rows as dropped when the queue is full."""
        try:
            self._queue.put_nowait(("rows", buffer))
        except queue.Full:
            self.dropped += buffer.n

    def submit_batch(
        self,
        columns: Columns,
        values: Any,
        per_row_ms: float,
        sources: list[str | None] | None,
        route: str,
    ) -> None:
        """Queue a whole batch without blocking."""
        try:
            self._queue.put_nowait(("batch", (columns, values, per_row_ms, sources, route)))
        except queue.Full:
            self.dropped += n_rows_of(columns)

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
            try:
                if kind == "rows":
                    self._fold_buffer(payload)
                elif kind == "batch":
                    self._fold_batch(*payload)
            except Exception:
                log.exception("redline could not fold a batch of %s", self._guard.model)
            if kind in ("close", "stop") or time.monotonic() >= self._deadline:
                self._close()
            if kind in ("close", "stop"):
                payload.set()
                if kind == "stop":
                    return

    def _fold(
        self, columns: Columns, predictions: Any, latency_ms: Any, sources: Any, routes: Any
    ) -> None:
        guard = self._guard
        if guard._prediction_column is not None:
            columns = {**columns, guard._prediction_column: _as_array(predictions)}
        if guard._confidence_column is not None and guard._confidence is not None:
            columns = {
                **columns,
                guard._confidence_column: _confidences(guard._confidence, predictions),
            }
        self._window.fold(self._guard.reference, columns, latency_ms=latency_ms, sources=sources)
        for route, count in Counter(routes).items():
            self._window.routes[route] = self._window.routes.get(route, 0) + count

    def _fold_buffer(self, buffer: RowBuffer) -> None:
        if buffer.n == 0:
            return
        n = buffer.n
        self._window.errors += buffer.routes[:n].count("error")
        for name, count in buffer.unknown.items():
            self._window.unknown[name] = self._window.unknown.get(name, 0) + count
        self._fold(
            buffer.to_columns(),
            buffer.predictions[:n],
            buffer.latencies(),
            buffer.sources[:n],
            buffer.routes[:n],
        )

    def _fold_batch(
        self, columns: Columns, values: Any, per_row_ms: float, sources: Any, route: str
    ) -> None:
        n = n_rows_of(columns)
        latency = np.full(n, per_row_ms)
        self._fold(
            columns,
            values,
            latency,
            sources,
            [route] * n if n < 100_000 else Counter({route: n}).elements(),
        )

    def _close(self) -> None:
        buffer, feedback = self._guard._take()
        try:
            self._fold_buffer(buffer)
        except Exception:
            log.exception("redline could not fold the last rows of %s", self._guard.model)
        window = self._window
        window.end = self._guard._clock()
        self._window = self._new_window()
        self._deadline = time.monotonic() + self._window_s
        if window.n_rows == 0 and not feedback:
            return
        signals: list[Signal] = []
        try:
            signals = self._suite.evaluate(window)
        except Exception:
            log.exception("redline monitors failed on a window of %s", self._guard.model)
        try:
            self._guard.sink.write(self._guard.model, window, signals, feedback)
        except Exception:
            log.exception("redline could not write a window of %s", self._guard.model)
        self.closed_windows += 1


def _confidences(fn: Any, predictions: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    out = np.full(len(predictions), np.nan)
    for i, value in enumerate(predictions):
        try:
            out[i] = fn(value)
        except Exception:  # a confidence that cannot be read is a missing value
            continue
    return out


def _as_array(values: Any) -> Any:
    if isinstance(values, np.ndarray):
        return values
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError):
        return np.asarray(values, dtype=object)
    return arr.astype(object) if arr.dtype.kind in "US" else arr
