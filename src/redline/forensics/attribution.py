"""Which features carry a window's drift: per-feature Jensen-Shannon distance on the reference's
bins, less the distance sampling noise alone would give, as shares of the total."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from redline.profiles.reference import Reference
from redline.profiles.stats import js_distance
from redline.profiles.window import WindowProfile

__all__ = [
    "Baseline",
    "FeatureShare",
    "baseline_of",
    "column_counts",
    "drift_excess",
    "feature_shares",
    "merge_windows",
    "noise_floor",
    "total_excess",
]

FloatArray = NDArray[np.float64]
Counts = dict[str, FloatArray]
#: Safety factor on the expected noise distance: a no-drift window's excess is almost always 0.
NOISE_FACTOR = 1.5


@dataclass(frozen=True)
class Baseline:
    """Counts on the reference's bins that "normal" is judged against, and where they came from."""

    counts: Counts
    n_rows: int
    basis: str


@dataclass(frozen=True)
class FeatureShare:
    """One feature's drift: JS distance, its noise floor, the excess and its share of the total."""

    feature: str
    js_distance: float
    noise_floor: float
    excess: float
    share: float


def column_counts(window: WindowProfile, names: Sequence[str] | None = None) -> Counts:
    """The window's per-column bin counts (columns with no rows left out)."""
    wanted = names if names is not None else list(window.columns)
    out = {}
    for name in wanted:
        state = window.columns.get(name)
        if state is not None and state.n > 0:
            out[name] = state.counts.astype(np.float64)
    return out


def merge_windows(windows: Sequence[WindowProfile]) -> WindowProfile:
    """One profile of all the windows' rows (they share a reference)."""
    if not windows:
        raise ValueError("no windows to merge")
    merged = windows[0]
    for window in windows[1:]:
        merged = merged.merge(window)
    return merged


def baseline_of(reference: Reference | None, earlier: Sequence[WindowProfile]) -> Baseline:
    """The reference's feature counts when it is stored, else the earliest stored windows'."""
    if reference is not None:
        counts = {s.name: np.asarray(s.counts, np.float64) for s in reference.features}
        return Baseline(counts, reference.n_rows, f"reference {reference.content_hash[:12]}")
    if not earlier:
        return Baseline({}, 0, "no reference and no earlier window")
    merged = merge_windows(earlier)
    return Baseline(
        column_counts(merged), merged.n_rows, f"the {len(earlier)} earliest stored window(s)"
    )


def noise_floor(n_bins: int, n_rows: float, n_reference: float) -> float:
    """JS distance (base 2) that sampling alone gives, times :data:`NOISE_FACTOR`.

    For counts drawn from the same distribution, JS divergence is about
    ``(k - 1) / (8 ln 2) * (1/n + 1/N)`` bits.

    >>> round(noise_floor(11, 1000, math.inf), 3)
    0.064
    """
    if n_rows <= 0 or n_bins < 2:
        return 0.0
    inverse = 1.0 / n_rows + (1.0 / n_reference if n_reference > 0 else 0.0)
    return NOISE_FACTOR * math.sqrt((n_bins - 1) / (8.0 * math.log(2.0)) * inverse)


def drift_excess(reference: FloatArray, current: FloatArray, n_reference: float) -> FeatureShare:
    """One column's JS distance, noise floor and excess (share left at 0)."""
    js = float(js_distance(reference, current))
    occupied = int(np.count_nonzero((reference > 0) | (current > 0)))
    floor = noise_floor(occupied, float(current.sum()), n_reference)
    return FeatureShare("", js, floor, max(js - floor, 0.0), 0.0)


def feature_shares(baseline: Baseline, current: Mapping[str, FloatArray]) -> list[FeatureShare]:
    """Features ranked by their share of the drift (excess over noise, normalised to sum 1)."""
    rows = []
    for name, ref in baseline.counts.items():
        cur = current.get(name)
        if cur is None or cur.sum() <= 0 or ref.sum() <= 0:
            continue
        one = drift_excess(ref, cur, baseline.n_rows)
        rows.append(FeatureShare(name, one.js_distance, one.noise_floor, one.excess, 0.0))
    total = sum(r.excess for r in rows)
    shared = [
        FeatureShare(r.feature, r.js_distance, r.noise_floor, r.excess, r.excess / total)
        if total > 0
        else r
        for r in rows
    ]
    return sorted(shared, key=lambda r: (-r.excess, -r.js_distance, r.feature))


def total_excess(baseline: Baseline, current: Mapping[str, FloatArray]) -> float:
    """The window's drift: the sum of its features' excess JS distances."""
    return float(sum(r.excess for r in feature_shares(baseline, current)))
