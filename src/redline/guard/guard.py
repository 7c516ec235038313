"""Guard: wraps a model's predict function, records what it serves, obeys the RouteState."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, Self

from redline.domain import Decision, Route, RouteState
from redline.guard.buffer import RowBuffer
from redline.guard.sinks import Feedback, MemorySink, Sink
from redline.guard.windows import WindowWorker
from redline.monitors.registry import MonitorSuite
from redline.profiles.reference import Reference
from redline.profiles.specs import Role
from redline.profiles.tabular import TableLike, n_rows_of, to_columns

__all__ = ["Guard"]

log = logging.getLogger("redline.guard")

Predict = Callable[[Any], Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Guard:
    """Serve predictions through a model, a fallback and the current route, and watch them.

    The request path appends to a preallocated buffer and reads the in-memory RouteState; a
    background thread folds full buffers into the open window, closes windows every
    ``window_s`` seconds, evaluates the monitors and hands the result to the sink.
    """

    def __init__(
        self,
        *,
        model: str,
        predict: Predict,
        reference: Reference,
        fallback: Predict | None = None,
        sink: Sink | None = None,
        window_s: float = 60.0,
        buffer_rows: int = 4096,
        max_pending_rows: int = 1_000_000,
        model_version: str | None = None,
        predict_batch: Callable[[Any], Any] | None = None,
        confidence: Callable[[Any], float] | None = None,
        on_error: Literal["fallback", "raise"] = "fallback",
        monitors: Mapping[str, Mapping[str, Any] | None] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self.model = model
        self.model_version = model_version
        self.reference = reference
        self._predict = predict
        self._predict_batch = predict_batch
        self._fallback = fallback
        self._on_error = on_error
        self.sink: Sink = sink if sink is not None else MemorySink()
        self._route = RouteState(model_version=model_version)
        self._lock = threading.Lock()
        self._prefix = os.urandom(6).hex()
        self._count = 0
        prediction = reference.column_named(Role.PREDICTION)
        confidence_column = reference.column_named(Role.CONFIDENCE)
        if confidence is not None and confidence_column is None:
            raise ValueError(
                "confidence= needs a reference fitted with confidence=<column>; this one has none"
            )
        self._names = [n for n in reference.raw_columns if n not in (prediction, confidence_column)]
        self._prediction_column = prediction
        self._confidence_column = confidence_column if confidence is not None else None
        self._confidence = confidence
        self._capacity = buffer_rows
        self._buffer = RowBuffer(self._names, buffer_rows)
        self._feedback: list[Feedback] = []
        self._clock = clock
        self._worker = WindowWorker(
            guard=self,
            suite=MonitorSuite(reference, monitors, model=model),
            window_s=window_s,
            max_pending_rows=max(max_pending_rows, buffer_rows),
        )
        self._worker.start()

    # -- request path -------------------------------------------------------------------

    @property
    def route(self) -> RouteState:
        """The routing state in force."""
        return self._route

    def set_route(self, state: RouteState) -> None:
        """Replace the routing state (ignored when its revision is not newer)."""
        if state.revision > self._route.revision:
            self._route = state

    def predict(self, row: Mapping[str, Any], *, source: str | None = None) -> Decision:
        """Serve one prediction; redline's own failures never reach the caller."""
        start = time.perf_counter()
        route = self._route
        error = None
        if route.mode == Route.FALLBACK and self._fallback is not None:
            value, taken = self._fallback(row), Route.FALLBACK
        else:
            try:
                value, taken = self._predict(row), Route.PRIMARY
            except Exception as exc:
                if self._fallback is None or self._on_error == "raise":
                    self._record(row, None, start, source, "error")
                    raise
                error = f"{type(exc).__name__}: {exc}"
                value, taken = self._fallback(row), Route.FALLBACK
        latency_ms = (time.perf_counter() - start) * 1000.0
        request_id = self._record(row, value, start, source, taken.value, latency_ms)
        return Decision(value, request_id, taken, route.model_version, latency_ms, error)

    def _record(
        self,
        row: Any,
        value: Any,
        start: float,
        source: str | None,
        route: str,
        latency_ms: float = 0.0,
    ) -> str:
        try:
            with self._lock:
                self._count += 1
                request_id = f"{self._prefix}-{self._count:x}"
                buffer = self._buffer
                buffer.append(row, value, latency_ms, source, route)
                if buffer.full:
                    self._buffer = RowBuffer(self._names, self._capacity)
                    self._worker.submit(buffer)
            return request_id
        except Exception:  # the request path must survive any recording failure
            log.exception("redline could not record a prediction")
            return f"{self._prefix}-unrecorded"

    def predict_batch(self, data: TableLike, *, sources: list[str | None] | None = None) -> Any:
        """Serve a batch (columns, a DataFrame or row dicts); the batch is folded as a whole."""
        start = time.perf_counter()
        columns = to_columns(data)
        if self._route.mode == Route.FALLBACK and self._fallback is not None:
            values, route = self._run_batch(self._fallback, data, columns), Route.FALLBACK
        else:
            predict = self._predict_batch
            values = (
                predict(data)
                if predict is not None
                else self._run_batch(self._predict, data, columns)
            )
            route = Route.PRIMARY
        per_row_ms = (time.perf_counter() - start) * 1000.0 / max(n_rows_of(columns), 1)
        self._worker.submit_batch(columns, values, per_row_ms, sources, route.value)
        return values

    @staticmethod
    def _run_batch(fn: Predict, data: TableLike, columns: dict[str, Any]) -> list[Any]:
        n = n_rows_of(columns)
        names = list(columns)
        return [fn({name: columns[name][i] for name in names}) for i in range(n)]

    def feedback(self, request_id: str, label: Any) -> None:
        """Record the true label of an earlier prediction (joined by request id later)."""
        with self._lock:
            self._feedback.append(Feedback(request_id, label, self._clock()))

    # -- lifecycle ----------------------------------------------------------------------

    def _take(self) -> tuple[RowBuffer, list[Feedback]]:
        """Swap out the active buffer and pending feedback (called by the worker)."""
        with self._lock:
            buffer, self._buffer = self._buffer, RowBuffer(self._names, self._capacity)
            feedback, self._feedback = self._feedback, []
        return buffer, feedback

    def flush(self, timeout_s: float = 30.0) -> None:
        """Close the open window now and wait until the sink has it."""
        self._worker.close_window(timeout_s)

    def close(self) -> None:
        """Flush the open window, stop the background thread, close the sink."""
        self._worker.stop()
        self.sink.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def rows_dropped(self) -> int:
        """Rows dropped because the background thread could not keep up."""
        return self._worker.dropped
