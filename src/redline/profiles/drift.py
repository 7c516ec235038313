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
    p, q = spec.bin_shares, shares(state.counts)
    p_smooth, q_smooth = spec.smoothed_shares, shares(state.counts, KL_SMOOTHING)
    edges = spec.full_edges(state.min, state.max)
    ref_var = spec.std**2
    return {
        "wasserstein_norm": float(wasserstein_of_shares(p, q, edges)) / spec.scale,
        "psi": float(psi_of_shares(p_smooth, q_smooth)),
        "kl": float(kl_of_shares(p_smooth, q_smooth)),
        "js_distance": float(js_of_shares(p, q)),
        "ks_d": float(ks_of_shares(p, q)),
        "mean_shift_sd": (state.mean - spec.mean) / spec.scale,
        "variance_ratio": state.std**2 / ref_var if ref_var > 0 else math.nan,
    }


def categorical_statistics(spec: CategoricalSpec, state: CategoricalState) -> dict[str, float]:
    """Every categorical drift statistic of the window (NaN when the window has no values)."""
    if state.n == 0:
        return dict.fromkeys(("js_distance", "psi", "kl", "chi2", "linf", "unseen_share"), math.nan)
    p, q = spec.bin_shares, shares(state.counts)
    p_smooth, q_smooth = spec.smoothed_shares, shares(state.counts, KL_SMOOTHING)
    return {
        "js_distance": float(js_of_shares(p, q)),
        "psi": float(psi_of_shares(p_smooth, q_smooth)),
        "kl": float(kl_of_shares(p_smooth, q_smooth)),
        "chi2": float(chi2_statistic(spec.counts, state.counts.astype(np.float64))),
        "linf": float(linf_of_shares(p, q)),
        "unseen_share": float(state.counts[-1]) / state.n,
    }


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
