"""Chart data for the model page: distributions against the reference, stored results over windows.

Bars are drawn from the stored window profiles (display); every statistic, threshold and
verdict is the monitors' result stored with the window, never recomputed here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from redline.profiles.reference import Reference
from redline.profiles.specs import ColumnSpec, NumericSpec, Role
from redline.profiles.states import NumericState
from redline.profiles.window import WindowProfile
from redline.services.views import ColumnResult, WindowResults

__all__ = [
    "NO_RESULT",
    "Bar",
    "FeatureChart",
    "Series",
    "bin_labels",
    "feature_charts",
    "feature_drift",
    "series_of",
]

#: The level shown for a column whose window was stored without a result for it.
NO_RESULT = "no result"


@dataclass(frozen=True, slots=True)
class Series:
    """One value per window (None where a window has none), with an optional threshold line
    and whether the newest window was flagged (the stored verdict, drawn in red)."""

    label: str
    values: tuple[float | None, ...]
    threshold: float | None = None
    unit: str = ""
    flagged: bool = False

    @property
    def last(self) -> float | None:
        """The newest value, or None."""
        return self.values[-1] if self.values else None

    @property
    def top(self) -> float:
        """The chart's upper bound: the largest value or threshold (1.0 when nothing is known)."""
        known = [v for v in self.values if v is not None]
        if self.threshold is not None:
            known.append(self.threshold)
        return max(known, default=0.0) or 1.0

    def coordinates(self, width: float = 160.0, height: float = 32.0) -> list[tuple[float, float]]:
        """(x, y) of each known value, left (oldest) to right (newest)."""
        n, top = len(self.values), self.top * 1.1
        step = width / max(n - 1, 1)
        return [
            (round(i * step, 1), round(height - (v / top) * height, 1))
            for i, v in enumerate(self.values)
            if v is not None
        ]

    def points(self, width: float = 160.0, height: float = 32.0) -> str:
        """SVG polyline points, skipping missing values."""
        return " ".join(f"{x},{y}" for x, y in self.coordinates(width, height))

    def level(self, height: float = 32.0) -> float | None:
        """The threshold's y coordinate, or None."""
        if self.threshold is None:
            return None
        return height - (self.threshold / (self.top * 1.1)) * height

    @property
    def over(self) -> bool:
        """True when the newest window was flagged by its monitors (as stored)."""
        return self.flagged


@dataclass(frozen=True, slots=True)
class Bar:
    """One bin: its label and its share in the reference and in the current window."""

    label: str
    reference: float
    current: float


@dataclass(frozen=True, slots=True)
class FeatureChart:
    """A feature's current distribution against the reference and its drift over the windows."""

    column: str
    kind: str
    statistic: str
    bars: tuple[Bar, ...]
    drift: Series
    drifted: bool
    level: str
    n_rows: int


def bin_labels(spec: ColumnSpec) -> list[str]:
    """Readable bin names: value ranges for numbers, the vocabulary plus "other" for categories."""
    if isinstance(spec, NumericSpec):
        edges = [f"{e:.3g}" for e in spec.edges.tolist()]
        if not edges:
            return ["all"]
        middle = [f"{a}–{b}" for a, b in itertools.pairwise(edges)]
        return [f"<{edges[0]}", *middle, f"≥{edges[-1]}"]
    return [*spec.vocab, "other"]


def _on(
    reference: Reference,
    windows: Sequence[WindowProfile],
    results: Sequence[WindowResults | None],
) -> list[tuple[WindowProfile, WindowResults | None]]:
    """The windows profiled on this reference's bins (others cannot be compared bin by bin)."""
    pairs = itertools.zip_longest(windows, results[: len(windows)])
    wanted = reference.content_hash
    return [(w, r) for w, r in pairs if w is not None and w.reference_hash == wanted]


def _shares(counts: Sequence[float]) -> list[float]:
    """Each bin's share of the rows (all zero when there are none)."""
    total = float(sum(counts))
    return [float(c) / total if total else 0.0 for c in counts]


def _feature(
    spec: ColumnSpec, windows: list[tuple[WindowProfile, WindowResults | None]]
) -> FeatureChart:
    """One feature's chart: its stored result per window, the latest window's bins as bars."""
    found = [(w.columns.get(spec.name), r.column(spec.name) if r else None) for w, r in windows]
    values = tuple(None if result is None else result.value for _, result in found)
    latest_state, latest = found[-1] if found else (None, None)
    statistic = latest.statistic if latest is not None else "—"
    level = latest.level if latest is not None else NO_RESULT
    flagged = latest is not None and latest.flagged
    drift = Series(spec.name, values, None if latest is None else latest.threshold, flagged=flagged)
    current = _shares(latest_state.counts.tolist()) if latest_state is not None else []
    bars = itertools.zip_longest(
        bin_labels(spec), _shares(spec.counts.tolist()), current, fillvalue=0.0
    )
    n_rows = 0 if latest_state is None else latest_state.n
    return FeatureChart(
        spec.name,
        spec.kind.value,
        statistic,
        tuple(Bar(str(label), ref, cur) for label, ref, cur in bars),
        drift,
        flagged,
        level,
        n_rows,
    )


def feature_charts(
    reference: Reference,
    windows: Sequence[WindowProfile],
    results: Sequence[WindowResults | None] = (),
    *,
    columns: Sequence[ColumnSpec] | None = None,
) -> list[FeatureChart]:
    """Each feature (or each of ``columns``): latest window's bin shares against the reference,
    its drift per window.

    The drift line, threshold and verdict are the monitors' results stored with each window
    (``results``, aligned with ``windows``); nothing here judges a column.
    """
    comparable = _on(reference, windows, results)
    return [_feature(spec, comparable) for spec in columns or reference.features]


def feature_drift(columns: Sequence[str], results: WindowResults | None) -> list[ColumnResult]:
    """The latest window's stored result per column; a column without one says "no result"."""
    stored = {} if results is None else {c.column: c for c in results.columns}
    return [
        stored.get(name) or ColumnResult(name, "—", "—", None, None, NO_RESULT, 0)
        for name in sorted(set(columns) | set(stored))
    ]


def _mean_of(window: WindowProfile, column: str | None) -> float | None:
    """A numeric column's mean; a categorical one's share of its most frequent reference class."""
    state = None if column is None else window.columns.get(column)
    if state is None or state.n == 0:
        return None
    if isinstance(state, NumericState):
        return None if math.isnan(state.mean) else state.mean
    return float(state.counts[0]) / state.n


def _quantile(window: WindowProfile, q: float) -> float | None:
    value = window.latency_ms.quantile(q)
    return None if math.isnan(value) else value


def series_of(reference: Reference | None, windows: Sequence[WindowProfile]) -> list[Series]:
    """Rows, predictions, confidence and latency per window, for small multiples."""
    prediction = None if reference is None else reference.column_named(Role.PREDICTION)
    confidence = None if reference is None else reference.column_named(Role.CONFIDENCE)
    return [
        Series("rows", tuple(float(w.n_rows) for w in windows)),
        Series(
            f"mean {prediction or 'prediction'}", tuple(_mean_of(w, prediction) for w in windows)
        ),
        Series(
            f"mean {confidence or 'confidence'}", tuple(_mean_of(w, confidence) for w in windows)
        ),
        Series("latency p50", tuple(_quantile(w, 0.5) for w in windows), unit="ms"),
        Series("latency p99", tuple(_quantile(w, 0.99) for w in windows), unit="ms"),
        Series("errors", tuple(float(w.errors) for w in windows)),
    ]
