"""Drift statistics of one column's window state against its reference spec."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.profiles.specs import CategoricalSpec, NumericSpec
from redline.profiles.states import CategoricalState, NumericState
from redline.profiles.stats import (
    KL_SMOOTHING,
    chi2_statistic,
    js_distance,
    js_of_shares,
    kl_of_shares,
    ks_of_shares,
    linf_of_shares,
    psi_of_shares,
    shares,
    wasserstein_binned,
    wasserstein_of_shares,
)

__all__ = [
    "PRIMARY",
    "categorical_statistics",
    "kl_note",
    "numeric_statistics",
    "primary_statistic",
    "top_moves",
]

FloatArray = NDArray[np.float64]

#: The statistic each kind of column is judged on.
PRIMARY = {"numeric": "wasserstein_norm", "categorical": "js_distance"}


def primary_statistic(
    spec: NumericSpec | CategoricalSpec,
) -> Callable[[FloatArray, FloatArray], FloatArray]:
    """The primary statistic as a function of (reference counts, current counts) arrays."""
    if isinstance(spec, NumericSpec):
        edges, scale = spec.nominal_edges(), spec.scale

        def wasserstein_norm(ref: FloatArray, cur: FloatArray) -> FloatArray:
            out: FloatArray = wasserstein_binned(ref, cur, edges) / scale
            return out

        return wasserstein_norm
    return js_distance


def numeric_statistics(
    spec: NumericSpec, state: NumericState, *, only: Collection[str] | None = None
) -> dict[str, float]:
    """Every numeric drift statistic of the window (NaN when the window has no values), or
    those named in ``only`` (the rest are not computed)."""
    if state.n == 0:
        return _nan(NUMERIC_STATISTICS, only)
    p, q = spec.bin_shares, shares(state.counts)
    ref_var = spec.std**2

    @cache
    def smoothed() -> tuple[FloatArray, FloatArray]:
        return spec.smoothed_shares, shares(state.counts, KL_SMOOTHING)

    def wasserstein_norm() -> float:
        edges = spec.full_edges(state.min, state.max)
        return float(wasserstein_of_shares(p, q, edges)) / spec.scale

    statistics: dict[str, Callable[[], float]] = {
        "wasserstein_norm": wasserstein_norm,
        "psi": lambda: float(psi_of_shares(*smoothed())),
        "kl": lambda: float(kl_of_shares(*smoothed())),
        "js_distance": lambda: float(js_of_shares(p, q)),
        "ks_d": lambda: float(ks_of_shares(p, q)),
        "mean_shift_sd": lambda: (state.mean - spec.mean) / spec.scale,
        "variance_ratio": lambda: state.std**2 / ref_var if ref_var > 0 else math.nan,
    }
    return {k: f() for k, f in statistics.items() if only is None or k in only}


def categorical_statistics(
    spec: CategoricalSpec, state: CategoricalState, *, only: Collection[str] | None = None
) -> dict[str, float]:
    """Every categorical drift statistic of the window (NaN when the window has no values), or
    those named in ``only`` (the rest are not computed)."""
    if state.n == 0:
        return _nan(CATEGORICAL_STATISTICS, only)
    p, q = spec.bin_shares, shares(state.counts)

    @cache
    def smoothed() -> tuple[FloatArray, FloatArray]:
        return spec.smoothed_shares, shares(state.counts, KL_SMOOTHING)

    statistics: dict[str, Callable[[], float]] = {
        "js_distance": lambda: float(js_of_shares(p, q)),
        "psi": lambda: float(psi_of_shares(*smoothed())),
        "kl": lambda: float(kl_of_shares(*smoothed())),
        "chi2": lambda: float(chi2_statistic(spec.counts, state.counts.astype(np.float64))),
        "linf": lambda: float(linf_of_shares(p, q)),
        "unseen_share": lambda: float(state.counts[-1]) / state.n,
    }
    return {k: f() for k, f in statistics.items() if only is None or k in only}


NUMERIC_STATISTICS = (
    "wasserstein_norm",
    "psi",
    "kl",
    "js_distance",
    "ks_d",
    "mean_shift_sd",
    "variance_ratio",
)
CATEGORICAL_STATISTICS = ("js_distance", "psi", "kl", "chi2", "linf", "unseen_share")


def _nan(names: tuple[str, ...], only: Collection[str] | None) -> dict[str, float]:
    return dict.fromkeys((n for n in names if only is None or n in only), math.nan)


def top_moves(
    spec: NumericSpec | CategoricalSpec, state: NumericState | CategoricalState, n: int = 5
) -> list[dict[str, Any]]:
    """The bins or categories whose share moved most, largest move first."""
    p, q, labels = spec.bin_shares, shares(state.counts), spec.bin_labels
    order = np.argsort(-np.abs(q - p), kind="stable")[:n]
    return [
        {"bin": labels[i], "reference": round(float(p[i]), 6), "current": round(float(q[i]), 6)}
        for i in order
        if q[i] != p[i]
    ]


def kl_note() -> str:
    """How KL and PSI are smoothed, for reports."""
    return f"KL(current||reference) and PSI in nats, with {KL_SMOOTHING} added to every bin count"
