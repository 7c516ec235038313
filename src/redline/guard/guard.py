"""Guard: wraps a model's predict function, records what it serves, obeys the RouteState."""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Self

from redline.domain import Decision, Route, RouteState
from redline.guard.buffer import RowBuffer
from redline.guard.canaries import Canary, CanaryResult, CanaryRunner, run_canary
from redline.guard.derived import DerivedColumns
from redline.guard.leaks import LeakScanner
from redline.guard.plan import RoutePlan, compile_plan
from redline.guard.route_watch import RouteWatcher
from redline.guard.serve import REFUSE, Router, serve_batch
from redline.guard.shadow import ShadowRunner
from redline.guard.sinks import Feedback, MemorySink, Sink
from redline.guard.watchdog import ROUTE_STALE_S, WINDOW_BLOCKED_S, GuardHealth, Watchdog
from redline.guard.windows import WindowWorker
from redline.profiles.reference import Reference
from redline.profiles.specs import Role
from redline.profiles.tabular import TableLike, n_rows_of, to_columns

__all__ = ["GuardEngine"]

log = logging.getLogger("redline.guard")

Predict = Callable[[Any], Any]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class GuardEngine:
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
        versions: Mapping[str, Predict] | None = None,
        loader: Callable[[str], Predict] | None = None,
        route_source: Callable[[], RouteState | None] | None = None,
        route_poll_s: float = 0.2,
        route_age_s: Callable[[], float] | None = None,
        route_stale_s: float = ROUTE_STALE_S,
        window_blocked_s: float = WINDOW_BLOCKED_S,
        safe_response: Any = REFUSE,
        record_served: bool = False,
        canaries: Sequence[Canary] = (),
        leak_canaries: Sequence[str] = (),
        derived: DerivedColumns | None = None,
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
        self.sink: Sink = sink if sink is not None else MemorySink()
        self._versions: dict[str, Predict] = dict(versions or {})
        if model_version is not None:
            self._versions.setdefault(model_version, predict)
        self._loader = loader
        self._plan = self._compile(RouteState(model=model, model_version=model_version))
        self.review_queue: deque[dict[str, Any]] = deque(maxlen=10_000)
        self._router = Router(
            safe_response=safe_response,
            confidence=confidence,
            on_error=on_error,
            review_queue=self.review_queue,
        )
        self._shadow = ShadowRunner(name=f"redline-shadow-{model}")
        self._runner = CanaryRunner(canaries, self._run_canaries, name=f"redline-canaries-{model}")
        self.canary_results: deque[CanaryResult] = deque(maxlen=1_000)
        # Canaries held for review go to a queue of their own, never to people's.
        self._canary_router = self._router.with_review_queue(deque(maxlen=100))
        self._lock = threading.Lock()
        self._prefix = os.urandom(6).hex()
        self._ids = itertools.count(1)
        self.record_served = record_served
        self._leaks = LeakScanner(leak_canaries)
        prediction = reference.column_named(Role.PREDICTION)
        confidence_column = reference.column_named(Role.CONFIDENCE)
        target = reference.column_named(Role.TARGET)
        not_inputs = (prediction, confidence_column, target)
        self._derived = derived
        if derived is not None:
            self._names = list(derived.names)
        else:
            self._names = [n for n in reference.raw_columns if n not in not_inputs]
        self._prediction_column = prediction
        self._confidence_column = confidence_column if confidence is not None else None
        self._confidence = confidence
        self._capacity = buffer_rows
        self._buffer = RowBuffer(self._names, buffer_rows)
        self._feedback: list[Feedback] = []
        self._clock = clock
        self._watcher: RouteWatcher | None = None
        self._route_age_s = route_age_s  # before the window thread starts: it reads the age
        from redline.monitors.registry import MonitorSuite  # the monitors load with a Guard

        self._worker = WindowWorker(
            guard=self,
            suite=MonitorSuite(reference, monitors, model=model),
            window_s=window_s,
            max_pending_rows=max(max_pending_rows, buffer_rows),
        )
        self._worker.start()
        self._runner.start()
        self._shadow.start()
        if route_source is not None:
            self._watcher = RouteWatcher(
                route_source, self.set_route, interval_s=route_poll_s, name=f"redline-route-{model}"
            ).start()
        self._watchdog = Watchdog(
            model=model,
            route_age_s=self._route_age,
            window_busy_s=lambda: self._worker.busy_s,
            route_revision=lambda: self._plan.state.revision,
            route_stale_s=route_stale_s,
            window_blocked_s=window_blocked_s,
        ).start()

    # -- routing --------------------------------------------------------------------------

    @property
    def route(self) -> RouteState:
        """The routing state in force."""
        return self._plan.state

    def set_route(self, state: RouteState) -> None:
        """Apply a newer routing state, loading the versions it names first (off the request path).

        Raises VersionMissingError when a named version is neither loaded nor loadable; the
        state in force stays as it was.
        """
        if state.revision <= self._plan.state.revision:
            return
        for version in (state.model_version, state.fallback_version, state.shadow_version):
            if version is not None and version not in self._versions and self._loader is not None:
                self._versions[version] = self._loader(version)
        self._plan = self._compile(state)
        self._runner.run_soon()  # verify the new route with the canaries, off this thread

    def _compile(self, state: RouteState) -> RoutePlan:
        return compile_plan(
            state,
            versions=self._versions,
            default_primary=self._predict,
            default_fallback=self._fallback,
        )

    def _route_age(self) -> float | None:
        """Seconds since the route source last answered (None: no route is followed)."""
        if self._watcher is None:
            return None
        return self._route_age_s() if self._route_age_s is not None else self._watcher.stale_s

    def health(self) -> GuardHealth:
        """The control path now: the route's age, the window thread's time in one window,
        windows closed and rows dropped (no I/O; a watchdog thread logs when either stalls)."""
        return self._watchdog.health(
            windows_closed=self._worker.closed_windows, rows_dropped=self._worker.dropped
        )

    # -- canaries -----------------------------------------------------------------------

    def run_canaries(self) -> list[CanaryResult]:
        """Run every canary once through the live route now; failures reach the sink as signals."""
        return self._run_canaries(self._runner.canaries)

    def _run_canaries(self, canaries: Sequence[Canary]) -> list[CanaryResult]:
        results = [run_canary(c, self._canary_router, self._plan, self._clock) for c in canaries]
        self.canary_results.extend(results)
        if results:
            self._worker.submit_canaries(results)
        return results

    # -- request path -------------------------------------------------------------------

    @property
    def plan(self) -> RoutePlan:
        """The compiled route in force (read once per request: a new route swaps it whole)."""
        return self._plan

    def new_request_id(self) -> str:
        """A request id unique to this Guard, as ``predict`` gives each request."""
        return f"{self._prefix}-{next(self._ids):x}"

    def record(
        self,
        row: Mapping[str, Any],
        *,
        value: Any,
        output: Any,
        route: str,
        source: str | None,
        latency_ms: float,
        request_id: str,
    ) -> None:
        """Record a request served outside ``predict`` (its row as ``derived.names`` says).

        ``value`` is what the caller got, ``output`` the primary's own answer (None when
        something else answered), ``route`` a Route value or ``"error"``; never raises.
        """
        self._record(row, value, source, route, latency_ms, request_id, output)

    def hold_for_review(self, entry: Mapping[str, Any]) -> None:
        """Put a request decided after serving (a flagged answer) in the review queue."""
        self.review_queue.append(dict(entry))

    def predict(self, row: Mapping[str, Any], *, source: str | None = None) -> Decision:
        """Serve one prediction as the route says; redline's own failures never reach the caller."""
        start = time.perf_counter()
        plan = self._plan
        request_id = self.new_request_id()
        try:
            value, taken, error, output = self._router.serve(plan, row, source, request_id)
        except Exception:
            self._record(row, None, source, "error", 0.0, request_id, None)
            raise
        latency_ms = (time.perf_counter() - start) * 1000.0
        if plan.shadow is not None and taken is Route.PRIMARY:
            self._shadow.offer(plan.shadow, str(plan.state.shadow_version), row, value, request_id)
        self._record(row, value, source, taken.value, latency_ms, request_id, output)
        return Decision(value, request_id, taken, plan.state.model_version, latency_ms, error)

    def _record(
        self,
        row: Any,
        value: Any,
        source: str | None,
        route: str,
        latency_ms: float,
        request_id: str,
        output: Any,
    ) -> None:
        try:
            with self._lock:
                buffer = self._buffer
                buffer.append(row, value, latency_ms, source, route, request_id, output=output)
                if buffer.full:
                    self._buffer = RowBuffer(self._names, self._capacity)
                    self._worker.submit(buffer)
        except Exception:  # the request path must survive any recording failure
            log.exception("redline could not record a prediction")

    def predict_batch(self, data: TableLike, *, sources: list[str | None] | None = None) -> Any:
        """Serve a batch (columns, a DataFrame or row dicts); the batch is folded as a whole."""
        start = time.perf_counter()
        columns = to_columns(data)
        values, route = serve_batch(self._plan, data, columns, self._predict_batch)
        per_row_ms = (time.perf_counter() - start) * 1000.0 / max(n_rows_of(columns), 1)
        self._worker.submit_batch(columns, values, per_row_ms, sources, route.value)
        return values

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

    def _take_reviews(self) -> list[dict[str, Any]]:
        """Drain the predictions held for review so far (called by the worker)."""
        taken = []
        while self.review_queue:
            try:
                taken.append(self.review_queue.popleft())
            except IndexError:  # drained by another thread meanwhile
                break
        return taken

    def flush(self, timeout_s: float = 30.0) -> None:
        """Close the open window now, wait until the sink has it, then bring the route up to date.

        Responding to a window can change the route (containment): after ``flush`` the Guard
        serves the route that was current when the window was stored.
        """
        self._worker.close_window(timeout_s)
        if self._watcher is not None:
            self._watcher.check_once()

    def route_written(self) -> None:
        """A window was handed to the sink, which may have changed the route: poll it now."""
        if self._watcher is not None:
            self._watcher.poll_now()

    def close(self) -> None:
        """Flush the open window, stop the background threads, close the sink."""
        if self._watcher is not None:
            self._watcher.stop()
        self._runner.stop()
        self._worker.stop()
        self._shadow.stop()
        self._watchdog.stop()
        self.sink.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def rows_dropped(self) -> int:
        """Rows dropped because the background thread could not keep up."""
        return self._worker.dropped
