"""Chart data for the model page: distributions against the reference and series over windows."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from redline.monitors.columns import DEFAULT_FLOORS, calibrated_threshold, fewest_rows
from redline.profiles.drift import PRIMARY
from redline.profiles.reference import Reference
from redline.profiles.specs import ColumnSpec, NumericSpec, Role
from redline.profiles.states import ColumnState, NumericState
from redline.profiles.stats import FloatArray, js_distance, shares, wasserstein_binned
from redline.profiles.window import WindowProfile

__all__ = ["Bar", "FeatureChart", "Series", "bin_labels", "feature_charts", "series_of"]


@dataclass(frozen=True, slots=True)
class Series:
    """One value per window (None where a window has none), with an optional threshold line."""

    label: str
    values: tuple[float | None, ...]
    threshold: float | None = None
    unit: str = ""

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
        """True when the newest value is above the threshold."""
        return self.threshold is not None and self.last is not None and self.last > self.threshold


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


def _on(reference: Reference, windows: Sequence[WindowProfile]) -> list[WindowProfile]:
    """The windows profiled on this reference's bins (others cannot be compared bin by bin)."""
    return [w for w in windows if w.reference_hash == reference.content_hash]


def _threshold(reference: Reference, spec: ColumnSpec, statistic: str, n_rows: int) -> float:
    """The threshold a window of ``n_rows`` is judged against (calibrated, never below the floor)."""
    calibrated = calibrated_threshold(spec, reference.window_sizes, n_rows)
    return max(calibrated, DEFAULT_FLOORS.get(statistic, 0.0))


def _primary(spec: ColumnSpec, states: list[ColumnState]) -> FloatArray:
    """The primary drift statistic of every window in one numpy call, as the monitors compute it."""
    ref = np.asarray(spec.counts, dtype=np.float64)
    stacked = np.stack([np.asarray(s.counts, dtype=np.float64) for s in states])
    if not isinstance(spec, NumericSpec):
        return js_distance(ref, stacked)
    # Each window's outer bins end at its own extremes, as in numeric_statistics.
    with np.errstate(invalid="ignore"):
        edges = np.stack([spec.full_edges(_low(s), _high(s)) for s in states])
        out: FloatArray = wasserstein_binned(ref, stacked, edges) / spec.scale
    return out


def _low(state: ColumnState) -> float:
    return float(getattr(state, "min", 0.0)) if state.n else 0.0


def _high(state: ColumnState) -> float:
    return float(getattr(state, "max", 0.0)) if state.n else 0.0


def _feature(reference: Reference, spec: ColumnSpec, windows: list[WindowProfile]) -> FeatureChart:
    """One feature's chart: the primary statistic of every window at once (one numpy call)."""
    statistic = PRIMARY["numeric" if isinstance(spec, NumericSpec) else "categorical"]
    states = [w.columns[spec.name] for w in windows if spec.name in w.columns]
    values: tuple[float | None, ...] = ()
    if states:
        raw = _primary(spec, states)
        values = tuple(
            None if s.n == 0 or math.isnan(v) else float(v)
            for s, v in zip(states, raw.tolist(), strict=True)
        )
    latest = states[-1] if states else None
    n_rows = 0 if latest is None else latest.n
    threshold = None if latest is None else _threshold(reference, spec, statistic, n_rows)
    drift = Series(spec.name, values, threshold)
    current = shares(latest.counts) if latest is not None else np.zeros(len(spec.counts))
    ref = shares(spec.counts)
    bars = zip(bin_labels(spec), ref.tolist(), current.tolist(), strict=False)
    drifted = drift.over and n_rows >= fewest_rows(reference.window_sizes)
    kind = spec.kind.value
    return FeatureChart(
        spec.name, kind, statistic, tuple(Bar(*b) for b in bars), drift, drifted, n_rows
    )


def feature_charts(reference: Reference, windows: Sequence[WindowProfile]) -> list[FeatureChart]:
    """Each feature: latest window's bin shares against the reference, drift per window.

    The same statistic, calibrated threshold and floor as the drift monitors, so a line above
    its threshold is what raised (or would raise) a signal.
    """
    comparable = _on(reference, windows)
    return [_feature(reference, spec, comparable) for spec in reference.features]


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
