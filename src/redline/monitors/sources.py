"""Traffic-source share jumps: one IP range, tenant or key suddenly sending much of the traffic."""

from __future__ import annotations

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

__all__ = ["SourceShareMonitor"]


class SourceShareMonitor(Monitor):
    """Alarm when a source's share of a window jumps above its smoothed share of past windows."""

    name = "source_share"

    def __init__(
        self,
        reference: Reference,
        *,
        min_share: float = 0.2,
        factor: float = 3.0,
        min_rows: int = 50,
        smoothing: float = 0.2,
    ) -> None:
        super().__init__(reference)
        self.min_share = min_share
        self.factor = factor
        self.min_rows = min_rows
        self.smoothing = smoothing
        self._baseline: dict[str, float] = {}
        self._windows = 0

    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        total = window.sources.total
        if total < self.min_rows:
            return []
        shares = {k: c / total for k, c in window.sources.counts.items()}
        out = []
        for source, share in sorted(shares.items(), key=lambda kv: -kv[1]):
            base = self._baseline.get(source, 0.0)
            threshold = max(self.min_share, self.factor * base)
            if self._windows > 0 and share > threshold:
                out.append(
                    Signal(
                        monitor=self.name,
                        kind="source_share",
                        column=None,
                        statistic="source_share",
                        value=share,
                        threshold=threshold,
                        level=Level.WARNING,
                        window_start=window.start,
                        window_end=window.end,
                        n_rows=total,
                        evidence={
                            "source": source,
                            "baseline_share": base,
                            "count": window.sources.counts[source],
                        },
                    )
                )
        flagged = {s.evidence["source"] for s in out}
        a = self.smoothing if self._windows else 1.0
        for source in set(self._baseline) | set(shares):
            if source not in flagged:
                old = self._baseline.get(source, 0.0)
                self._baseline[source] = (1 - a) * old + a * shares.get(source, 0.0)
        self._windows += 1
        return out

    def _clear(self) -> None:
        self._baseline = {}
        self._windows = 0
