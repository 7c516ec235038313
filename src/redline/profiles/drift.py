"""Drift statistics of one column's window state against its reference spec."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.profiles.specs import CategoricalSpec, NumericSpec
from redline.profiles.states import CategoricalState, NumericState
from redline.profiles.stats import (
    KL_SMOOTHING,
    chi2_statistic,
    js_distance,
    kl_divergence,
    ks_distance,
    linf_distance,
    psi,
    shares,
    wasserstein_binned,
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


def numeric_statistics(spec: NumericSpec, state: NumericState) -> dict[str, float]:
    """Every numeric drift statistic of the window (NaN when the window has no values)."""
    if state.n == 0:
        return dict.fromkeys(
            (
                "wasserstein_norm",
                "psi",
                "kl",
                "js_distance",
                "ks_d",
                "mean_shift_sd",
                "variance_ratio",
            ),
            math.nan,
        )
    ref, cur = spec.counts, state.counts.astype(np.float64)
    edges = spec.full_edges(state.min, state.max)
    ref_var = spec.std**2
    return {
        "wasserstein_norm": float(wasserstein_binned(ref, cur, edges)) / spec.scale,
        "psi": float(psi(ref, cur)),
        "kl": float(kl_divergence(ref, cur)),
        "js_distance": float(js_distance(ref, cur)),
        "ks_d": float(ks_distance(ref, cur)),
        "mean_shift_sd": (state.mean - spec.mean) / spec.scale,
        "variance_ratio": state.std**2 / ref_var if ref_var > 0 else math.nan,
    }


def categorical_statistics(spec: CategoricalSpec, state: CategoricalState) -> dict[str, float]:
    """Every categorical drift statistic of the window (NaN when the window has no values)."""
    if state.n == 0:
        return dict.fromkeys(("js_distance", "psi", "kl", "chi2", "linf", "unseen_share"), math.nan)
    ref, cur = spec.counts, state.counts.astype(np.float64)
    return {
        "js_distance": float(js_distance(ref, cur)),
        "psi": float(psi(ref, cur)),
        "kl": float(kl_divergence(ref, cur)),
        "chi2": float(chi2_statistic(ref, cur)),
        "linf": float(linf_distance(ref, cur)),
        "unseen_share": float(state.counts[-1]) / state.n,
    }


def top_moves(
    spec: NumericSpec | CategoricalSpec, state: NumericState | CategoricalState, n: int = 5
) -> list[dict[str, Any]]:
    """The bins or categories whose share moved most, largest move first."""
    p, q = shares(spec.counts), shares(state.counts)
    if isinstance(spec, NumericSpec):
        e = spec.edges
        labels = [f"< {e[0]:.4g}"]
        labels += [f"[{e[i]:.4g}, {e[i + 1]:.4g})" for i in range(e.size - 1)]
        labels += [f">= {e[-1]:.4g}"]
    else:
        labels = [*spec.vocab, "(other)"]
    order = np.argsort(-np.abs(q - p), kind="stable")[:n]
    return [
        {"bin": labels[i], "reference": round(float(p[i]), 6), "current": round(float(q[i]), 6)}
        for i in order
        if q[i] != p[i]
    ]


def kl_note() -> str:
    """How KL and PSI are smoothed, for reports."""
    return f"KL(current||reference) and PSI in nats, with {KL_SMOOTHING} added to every bin count"
