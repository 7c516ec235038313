"""Latency: p95/p99 against an SLO (critical) or against the learned baseline (warning).

A baseline breach also needs an absolute increase: a p99 going from 0.004 ms to 0.0135 ms is
"3× slower" and of no consequence to anyone; and rows above the percentile (the p99 of 100 rows
is their second largest). Null lognormal windows (0.004 and 10 ms, σ 0.5 and 1, 100 and 1,000
rows, 997 each) raised no warning; with the factor alone, σ 1 at 100 rows warned in 1.6%.
"""

from __future__ import annotations

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

__all__ = ["LatencyMonitor"]


class LatencyMonitor(Monitor):
    """Percentile latency breaches; the baseline is the median p-value of the warm-up windows.

    A warning needs the percentile above ``factor`` × baseline, above baseline +
    ``min_increase_ms``, and, when that percentile has an SLO, above ``slo_share`` of it; and
    ``min_tail_rows`` rows above the percentile (p99 from 1,000 rows, not the 100-row maximum).
    An SLO breach is judged at any size.
    """

    name = "latency"

    def __init__(
        self,
        reference: Reference,
        *,
        slo_p95_ms: float | None = None,
        slo_p99_ms: float | None = None,
        factor: float = 2.0,
        min_increase_ms: float = 5.0,
        slo_share: float = 0.5,
        min_tail_rows: int = 10,
        warmup_windows: int = 3,
        min_rows: int = 50,
    ) -> None:
        super().__init__(reference)
        if min_increase_ms < 0 or not 0 <= slo_share <= 1:
            raise ValueError("min_increase_ms must be >= 0 and slo_share in [0, 1]")
        self.slo_p95_ms = slo_p95_ms
        self.slo_p99_ms = slo_p99_ms
        self.factor = factor
        self.min_increase_ms = min_increase_ms
        self.slo_share = slo_share
        self.min_tail_rows = min_tail_rows
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
            threshold = self._over_baseline(baseline, slo)
            if slo is not None and value > slo:
                out.append(self._signal(window, label, value, slo, Level.CRITICAL, "slo"))
            elif hist.n * (1 - q) < self.min_tail_rows:
                continue  # too few rows above the percentile to compare it with a baseline
            elif threshold is not None and value > threshold:
                out.append(self._signal(window, label, value, threshold, Level.WARNING, "baseline"))
            else:
                seen.append(value)
                del seen[: -max(self.warmup_windows * 4, 12)]
        return out

    def _over_baseline(self, baseline: float | None, slo: float | None) -> float | None:
        """Where a percentile breaches its baseline: relatively, absolutely and against the SLO."""
        if baseline is None:
            return None
        floors = [self.factor * baseline, baseline + self.min_increase_ms]
        if slo is not None:
            floors.append(self.slo_share * slo)
        return max(floors)

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
