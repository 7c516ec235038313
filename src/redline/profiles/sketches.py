"""Small mergeable summaries: heavy hitters, a log-bucket histogram, a bottom-k sample."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BottomK", "HeavyHitters", "LogHistogram"]


@dataclass
class HeavyHitters:
    """Misra-Gries frequent items: every count is low by at most ``error``.

    Merging adds the counters and prunes back to ``capacity`` items; the error bounds add.

    >>> h = HeavyHitters(capacity=2).add(["a", "a", "b", "c", "a"])
    >>> h.counts["a"] >= 2
    True
    """

    capacity: int = 32
    counts: dict[str, int] = field(default_factory=dict)
    error: int = 0
    total: int = 0

    def add(self, items: Iterable[str]) -> HeavyHitters:
        """Count items (an iterable of labels)."""
        tally = Counter(items)
        return self._absorb(tally, sum(tally.values()), 0)

    def add_counts(self, tally: Mapping[str, int]) -> HeavyHitters:
        """Count pre-aggregated items."""
        return self._absorb(dict(tally), sum(tally.values()), 0)

    def merge(self, other: HeavyHitters) -> HeavyHitters:
        """A new summary of both streams."""
        out = HeavyHitters(self.capacity, dict(self.counts), self.error, self.total)
        return out._absorb(other.counts, other.total, other.error)

    def _absorb(self, tally: Mapping[str, int], total: int, error: int) -> HeavyHitters:
        for key, count in tally.items():
            self.counts[key] = self.counts.get(key, 0) + int(count)
        self.total += int(total)
        self.error += int(error)
        if len(self.counts) > self.capacity:
            cut = sorted(self.counts.values(), reverse=True)[self.capacity]
            self.counts = {k: v - cut for k, v in self.counts.items() if v > cut}
            self.error += cut
        return self

    def top(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` largest items, largest first, ties by name."""
        return sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "capacity": self.capacity,
            "counts": self.counts,
            "error": self.error,
            "total": self.total,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HeavyHitters:
        """Inverse of :meth:`to_dict`."""
        counts = {str(k): int(v) for k, v in data["counts"].items()}
        return cls(int(data["capacity"]), counts, int(data["error"]), int(data["total"]))


@dataclass
class LogHistogram:
    """Positive values on logarithmic buckets of relative width ``GAMMA - 1``; merges exactly.

    Quantiles are within 1% of the true value for values from 1 µs to 10^6 s (in ms).

    >>> h = LogHistogram().add(np.array([1.0, 2.0, 3.0, 4.0]))
    >>> abs(h.quantile(0.5) - 2.0) / 2.0 < 0.02
    True
    """

    GAMMA = 1.02
    MIN_VALUE = 1e-3
    N_BUCKETS = math.ceil(math.log(1e12) / math.log(1.02)) + 1
    counts: dict[int, int] = field(default_factory=dict)
    n: int = 0

    def add(self, values: NDArray[np.float64]) -> LogHistogram:
        """Count values (non-finite values are ignored; values under the minimum go to bucket 0)."""
        v = np.asarray(values, dtype=np.float64)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return self
        ratio = np.maximum(v, self.MIN_VALUE) / self.MIN_VALUE
        idx = np.clip(np.ceil(np.log(ratio) / math.log(self.GAMMA)), 0, self.N_BUCKETS - 1)
        buckets, counts = np.unique(idx.astype(np.int64), return_counts=True)
        for b, c in zip(buckets.tolist(), counts.tolist(), strict=True):
            self.counts[b] = self.counts.get(b, 0) + c
        self.n += int(v.size)
        return self

    def merge(self, other: LogHistogram) -> LogHistogram:
        """A new histogram of both."""
        out = LogHistogram(dict(self.counts), self.n)
        for b, c in other.counts.items():
            out.counts[b] = out.counts.get(b, 0) + c
        out.n += other.n
        return out

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (NaN when empty), at the middle of its bucket."""
        if self.n == 0:
            return math.nan
        keys = sorted(self.counts)
        cum = np.cumsum([self.counts[k] for k in keys])
        pos = int(np.searchsorted(cum, q * self.n, side="left"))
        b = keys[min(pos, len(keys) - 1)]
        upper = self.MIN_VALUE * self.GAMMA**b
        return float(upper * 2.0 / (1.0 + self.GAMMA)) if b > 0 else self.MIN_VALUE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (sparse buckets)."""
        return {"counts": {str(k): v for k, v in sorted(self.counts.items())}, "n": self.n}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogHistogram:
        """Inverse of :meth:`to_dict`."""
        return cls({int(k): int(v) for k, v in data["counts"].items()}, int(data["n"]))


@dataclass
class BottomK:
    """A uniform sample: the ``capacity`` items with the smallest random priorities.

    Merging keeps the smallest priorities of the union, so it is exact and associative.
    """

    capacity: int = 64
    items: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def offer(self, priorities: NDArray[np.float64], rows: list[dict[str, Any]]) -> BottomK:
        """Offer rows with their priorities."""
        merged = self.items + list(zip(priorities.tolist(), rows, strict=True))
        merged.sort(key=lambda item: item[0])
        self.items = merged[: self.capacity]
        return self

    def bar(self) -> float:
        """The priority an offered item must fall below to be kept (inf while there is room).

        >>> BottomK(capacity=2).offer(np.array([0.5, 0.25]), [{}, {}]).bar()
        0.5
        """
        if len(self.items) < self.capacity:
            return math.inf
        return max(priority for priority, _ in self.items)

    def merge(self, other: BottomK) -> BottomK:
        """A new sample of both."""
        merged = sorted(self.items + other.items, key=lambda item: item[0])
        return BottomK(self.capacity, merged[: self.capacity])

    def rows(self) -> list[dict[str, Any]]:
        """The sampled rows."""
        return [row for _, row in self.items]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"capacity": self.capacity, "items": [[p, row] for p, row in self.items]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BottomK:
        """Inverse of :meth:`to_dict`."""
        return cls(int(data["capacity"]), [(float(p), dict(r)) for p, r in data["items"]])
