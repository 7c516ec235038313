"""Latency: p95/p99 against an SLO (critical) or against the learned baseline (warning)."""

from __future__ import annotations

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

__all__ = ["LatencyMonitor"]


class LatencyMonitor(Monitor):
    """Percentile latency breaches; the baseline is the median p-value of the warm-up windows."""

    name = "latency"

    def __init__(
        self,
        reference: Reference,
        *,
        slo_p95_ms: float | None = None,
        slo_p99_ms: float | None = None,
        factor: float = 2.0,
        warmup_windows: int = 3,
        min_rows: int = 50,
    ) -> None:
        super().__init__(reference)
        self.slo_p95_ms = slo_p95_ms
        self.slo_p99_ms = slo_p99_ms
        self.factor = factor
        self.warmup_windows = warmup_windows
        self.min_rows = min_rows
        self._history: dict[str, list[float]] = {"p95": [], "p99": []}

    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        hist = window.latency_ms
        if hist.n < self.min_rows:
            return []
        out = []
        for label, q, slo in (("p95", 0.95, self.slo_p95_ms), ("p99", 0.99, self.slo_p99_ms)):
            value = hist.quantile(q)
            seen = self._history[label]
            baseline = sorted(seen)[len(seen) // 2] if len(seen) >= self.warmup_windows else None
            if slo is not None and value > slo:
                out.append(self._signal(window, label, value, slo, Level.CRITICAL, "slo"))
            elif baseline is not None and value > self.factor * baseline:
                threshold = self.factor * baseline
                out.append(self._signal(window, label, value, threshold, Level.WARNING, "baseline"))
            else:
                seen.append(value)
                del seen[: -max(self.warmup_windows * 4, 12)]
        return out

    def _signal(
        self,
        window: WindowProfile,
        label: str,
        value: float,
        threshold: float,
        level: Level,
        against: str,
    ) -> Signal:
        return Signal(
            monitor=self.name,
            kind="latency",
            column=None,
            statistic=f"latency_{label}_ms",
            value=value,
            threshold=threshold,
            level=level,
            window_start=window.start,
            window_end=window.end,
            n_rows=window.latency_ms.n,
            evidence={"against": against, "p50_ms": window.latency_ms.quantile(0.5)},
        )

    def _clear(self) -> None:
        self._history = {"p95": [], "p99": []}
