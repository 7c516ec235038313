"""Shadow mode: the suspect version answers the same inputs off the request path.

The request path only appends (row, served value, request id) to a bounded queue; a thread
runs the suspect on each, times it, and compares its answer with what was served. Rows that
do not fit the queue are counted as skipped, never waited for.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from redline.profiles.sketches import LogHistogram

__all__ = ["ShadowRunner", "ShadowStats", "agree"]

log = logging.getLogger("redline.guard")

#: Numbers closer than this (relative, or absolute near zero) count as the same answer.
TOLERANCE = 1e-6


def agree(served: Any, shadow: Any) -> bool:
    """Whether the suspect gave the served answer (numbers within a tiny tolerance)."""
    if isinstance(served, bool) or isinstance(shadow, bool):
        return type(served) is type(shadow) and served == shadow
    if isinstance(served, int | float) and isinstance(shadow, int | float):
        return math.isclose(served, shadow, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return bool(served == shadow)


@dataclass
class ShadowStats:
    """What the suspect did in one window: agreement, distance and its own latency."""

    version: str
    n: int = 0
    agreed: int = 0
    errors: int = 0
    skipped: int = 0
    abs_diff_sum: float = 0.0
    numeric: int = 0
    latency_ms: LogHistogram = field(default_factory=LogHistogram)
    disagreements: list[dict[str, Any]] = field(default_factory=list)
    pending_ms: list[float] = field(default_factory=list)

    def settle(self) -> ShadowStats:
        """Fold the latencies gathered one by one into the histogram (once per window)."""
        if self.pending_ms:
            self.latency_ms.add(np.asarray(self.pending_ms))
            self.pending_ms = []
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with the agreement rate and mean absolute difference."""
        return {
            "version": self.version,
            "n": self.n,
            "agreed": self.agreed,
            "agreement": self.agreed / self.n if self.n else None,
            "mean_abs_diff": self.abs_diff_sum / self.numeric if self.numeric else None,
            "errors": self.errors,
            "skipped": self.skipped,
            "numeric": self.numeric,
            "abs_diff_sum": self.abs_diff_sum,
            "latency_ms": self.latency_ms.to_dict(),
            "latency_p50_ms": self.latency_ms.quantile(0.5) if self.latency_ms.n else None,
            "latency_p95_ms": self.latency_ms.quantile(0.95) if self.latency_ms.n else None,
            "disagreements": self.disagreements,
        }


class ShadowRunner:
    """Runs the suspect beside the served route; the worker takes the stats at window close."""

    def __init__(self, *, name: str, capacity: int = 10_000) -> None:
        self._queue: deque[tuple[Callable[[Any], Any], str, Any, Any, str]] = deque()
        self._capacity = capacity
        self._stats: dict[str, ShadowStats] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._busy = False

    def start(self) -> ShadowRunner:
        """Start the thread."""
        self._thread.start()
        return self

    def offer(
        self, suspect: Callable[[Any], Any], version: str, row: Any, served: Any, request_id: str
    ) -> None:
        """Queue one served request for the suspect (request path: append only)."""
        if len(self._queue) >= self._capacity:
            self._stats_for(version).skipped += 1
            return
        self._queue.append((suspect, version, row, served, request_id))
        self._wake.set()

    def take(self) -> list[ShadowStats]:
        """The stats gathered since the last call (one per suspect version)."""
        self.drain()
        with self._lock:
            stats, self._stats = list(self._stats.values()), {}
        return [s.settle() for s in stats]

    def drain(self, timeout_s: float = 5.0) -> None:
        """Wait until the queue is empty (bounded), so a closing window sees every comparison."""
        deadline = time.monotonic() + timeout_s
        while (self._queue or self._busy) and time.monotonic() < deadline:
            time.sleep(0.001)

    def stop(self) -> None:
        """Stop the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _stats_for(self, version: str) -> ShadowStats:
        with self._lock:
            return self._stats.setdefault(version, ShadowStats(version))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.5)
            self._wake.clear()
            while self._queue:
                self._busy = True
                suspect, version, row, served, request_id = self._queue.popleft()
                self._compare(suspect, version, row, served, request_id)
            self._busy = False

    def _compare(
        self, suspect: Callable[[Any], Any], version: str, row: Any, served: Any, request_id: str
    ) -> None:
        stats = self._stats_for(version)
        start = time.perf_counter()
        try:
            answer = suspect(row)
        except Exception as exc:
            with self._lock:
                stats.n += 1
                stats.errors += 1
            log.debug("shadow version %s raised: %s", version, exc)
            return
        latency_ms = (time.perf_counter() - start) * 1000.0
        same = agree(served, answer)
        with self._lock:
            stats.n += 1
            stats.agreed += int(same)
            stats.pending_ms.append(latency_ms)
            if isinstance(served, int | float) and isinstance(answer, int | float):
                stats.numeric += 1
                stats.abs_diff_sum += abs(float(served) - float(answer))
            if not same and len(stats.disagreements) < 20:
                stats.disagreements.append(
                    {"request_id": request_id, "served": served, "shadow": answer}
                )
