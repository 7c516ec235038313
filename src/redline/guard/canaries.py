"""Canaries: golden inputs run through the live route, off the traffic statistics."""

from __future__ import annotations

import logging
import math
import numbers
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redline.domain import Level, Route, Signal
from redline.guard.plan import RoutePlan
from redline.guard.serve import Router
from redline.profiles.window import WindowProfile

__all__ = [
    "Canary",
    "CanaryResult",
    "CanaryRunner",
    "CanaryTally",
    "canary_signal",
    "check_canary",
    "run_canary",
]

log = logging.getLogger("redline.guard")


@dataclass(frozen=True, slots=True)
class Canary:
    """A golden input, its expected output, an absolute tolerance on numbers (None: exact)."""

    name: str
    input: Mapping[str, Any] = field(hash=False)
    expected: Any = field(hash=False)
    tolerance: float | None = None
    every_s: float = 60.0
    source: str | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a canary needs a name")
        if self.tolerance is not None and not self.tolerance >= 0:
            raise ValueError(f"canary {self.name!r}: tolerance must be a number >= 0 or None")
        if not self.every_s > 0:
            raise ValueError(f"canary {self.name!r}: every_s must be positive")


@dataclass(frozen=True, slots=True)
class CanaryResult:
    """One run of one canary: what came back, by which route, and whether it passed."""

    name: str
    passed: bool
    expected: Any
    got: Any
    error: str | None
    route: Route | None
    model_version: str | None
    revision: int
    latency_ms: float
    at: datetime


def check_canary(canary: Canary, value: Any) -> bool:
    """Whether ``value`` matches: numbers within tolerance, dicts and lists item by item, no NaN."""
    return _matches(canary.expected, value, canary.tolerance)


def _plain(value: Any) -> Any:
    """numpy arrays and scalars as Python lists and numbers."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) and not isinstance(value, str | bytes) else value


def _matches(expected: Any, got: Any, tolerance: float | None) -> bool:
    expected, got = _plain(expected), _plain(got)
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, numbers.Real) and isinstance(got, numbers.Real):
        if math.isnan(expected) or math.isnan(got):
            return False
        if tolerance is None:
            return bool(expected == got)
        return math.isclose(expected, got, rel_tol=0.0, abs_tol=tolerance)
    if isinstance(expected, Mapping) and isinstance(got, Mapping):
        return expected.keys() == got.keys() and all(
            _matches(expected[k], got[k], tolerance) for k in expected
        )
    if isinstance(expected, list | tuple) and isinstance(got, list | tuple):
        return len(expected) == len(got) and all(
            _matches(e, g, tolerance) for e, g in zip(expected, got, strict=True)
        )
    try:
        return bool(expected == got)
    except Exception:  # an object that cannot be compared does not match
        return False


def run_canary(
    canary: Canary, router: Router, plan: RoutePlan, now: Callable[[], datetime]
) -> CanaryResult:
    """Serve one canary through ``plan``; a model exception or an error text is a failure."""
    start = time.perf_counter()
    route: Route | None
    try:
        got, route, error, _ = router.serve(plan, canary.input, canary.source)
    except Exception as exc:
        got, route, error = None, None, f"{type(exc).__name__}: {exc}"
    latency_ms = (time.perf_counter() - start) * 1000.0
    passed = error is None and check_canary(canary, got)
    state = plan.state
    return CanaryResult(
        canary.name,
        passed,
        canary.expected,
        got,
        error,
        route,
        state.model_version,
        state.revision,
        latency_ms,
        now(),
    )


class CanaryTally:
    """Pass and fail counts per canary for the open window, and its latest failure."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}
        self.failures: dict[str, CanaryResult] = {}

    def add(self, results: list[CanaryResult]) -> bool:
        """Count a run's results; True when one of them failed."""
        for result in results:
            counts = self.counts.setdefault(result.name, {"passed": 0, "failed": 0})
            counts["passed" if result.passed else "failed"] += 1
            if not result.passed:
                self.failures[result.name] = result
        return any(not r.passed for r in results)

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """One critical signal per canary that failed in ``window``; the tally starts over."""
        out = [
            canary_signal(
                model,
                result,
                self.counts[name],
                start=window.start,
                end=window.end,
                n_rows=window.n_rows,
            )
            for name, result in self.failures.items()
        ]
        self.counts, self.failures = {}, {}
        return out


def canary_signal(
    model: str,
    result: CanaryResult,
    counts: Mapping[str, int],
    *,
    start: datetime | None,
    end: datetime | None,
    n_rows: int = 0,
) -> Signal:
    """The critical ``canary_failure`` signal of a failed run (``counts``: passed and failed)."""
    return Signal(
        monitor="canary",
        kind="canary_failure",
        column=result.name,
        statistic="canary_mismatch",
        value=1.0,
        threshold=0.0,
        level=Level.CRITICAL,
        window_start=start,
        window_end=end,
        n_rows=n_rows,
        model=model,
        evidence=_evidence(result, counts),
    )


class CanaryRunner:
    """A thread that runs each canary every ``every_s`` seconds, and all of them on request."""

    def __init__(
        self,
        canaries: Sequence[Canary],
        run: Callable[[Sequence[Canary]], object],
        *,
        name: str = "redline-canaries",
    ) -> None:
        names = [c.name for c in canaries]
        if len(set(names)) != len(names):
            raise ValueError(f"canary names must be unique: {names}")
        self.canaries = tuple(canaries)
        self._run_batch = run
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> CanaryRunner:
        """Start the schedule (without canaries, nothing); each first runs ``every_s`` later."""
        if self.canaries:
            self._thread.start()
        return self

    def run_soon(self) -> None:
        """Run every canary as soon as the thread is free (e.g. after a route change)."""
        self._wake.set()

    def stop(self, timeout_s: float = 30.0) -> None:
        """End the schedule, letting a run in progress finish."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        due = {c.name: time.monotonic() + c.every_s for c in self.canaries}
        while True:
            self._wake.wait(max(min(due.values()) - time.monotonic(), 0.0))
            if self._stop.is_set():
                return
            everyone = self._wake.is_set()
            self._wake.clear()
            now = time.monotonic()
            batch = [c for c in self.canaries if everyone or due[c.name] <= now]
            try:
                if batch:
                    self._run_batch(batch)
            except Exception:  # the schedule must outlive any failure of one run
                log.exception("redline could not run the canaries")
            now = time.monotonic()
            due.update({c.name: now + c.every_s for c in batch})


def _evidence(result: CanaryResult, counts: Mapping[str, int]) -> dict[str, Any]:
    return {
        "expected": _jsonable(result.expected),
        "got": _jsonable(result.got),
        "error": result.error,
        "route": result.route.value if result.route is not None else None,
        "model_version": result.model_version,
        "revision": result.revision,
        "at": result.at.isoformat(),
        "passed": counts["passed"],
        "failed": counts["failed"],
    }


def _jsonable(value: Any) -> Any:
    """A JSON-safe copy (no NaN or inf, which PostgreSQL's JSON refuses; unknowns as repr)."""
    value = _plain(value)
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return repr(value)
