"""Pipeline checks and statistical forensics of a window: integrity signals, the mapping-error
and unit-change signatures, the out-of-distribution rate and the shift of the model's confidence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from redline.domain import Signal
from redline.domain.kinds import INTEGRITY_KINDS, PIPELINE_KINDS
from redline.forensics.attribution import Baseline, Counts
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, NumericSpec, Role
from redline.profiles.states import NumericState
from redline.profiles.window import WindowProfile

__all__ = [
    "INTEGRITY_KINDS",
    "UNIT_FACTOR",
    "confidence_shift",
    "ood_rates",
    "pipeline_checks",
    "unit_changes",
]

#: A spread multiplied by at least this (or divided by it), with the mean following, is a change
#: of units or scale upstream: the world does not triple a feature's spread and its mean at once.
UNIT_FACTOR = 3.0
#: A feature's usual mean, standard deviation, minimum and maximum.
Moments = tuple[float, float, float, float]
#: How far (in the new standard deviations) the mean may sit from the rescaled reference mean.
UNIT_MEAN_TOLERANCE_SD = 0.25
#: Fewest finite values in a window for its moments to be compared.
UNIT_MIN_ROWS = 30
#: A rescale moves the extremes too: each of the window's min and max must be within this
#: factor of the rescaled usual one. A season that stretches a delay's tail leaves its
#: minimum where it was; a change of units does not.
UNIT_EXTREME_TOLERANCE = 2.0


def pipeline_checks(signals: Sequence[Signal]) -> dict[str, Any]:
    """The integrity breaches among ``signals``, by kind, with the mapping-error evidence and
    the largest out-of-range share (out of range counts as a pipeline breach)."""
    breaches = [s for s in signals if s.kind in INTEGRITY_KINDS]
    by_kind: dict[str, list[str]] = {}
    for s in breaches:
        by_kind.setdefault(s.kind, []).append(s.column or "-")
    mapping = [
        {"column": s.column, "js_by_label": s.value, **s.evidence}
        for s in breaches
        if s.kind == "mapping_error"
    ]
    return {
        "breaches": len(breaches),
        "pipeline_breaches": sum(s.kind in PIPELINE_KINDS for s in breaches),
        "out_of_range_share": max(
            (s.value for s in breaches if s.kind == "out_of_range"), default=0.0
        ),
        "by_kind": {k: sorted(set(v)) for k, v in sorted(by_kind.items())},
        "mapping_errors": mapping[:5],
    }


def _extremes_follow(factor: float, usual: Moments, state: NumericState) -> bool:
    """Whether the window's min and max sit near the usual ones times ``factor``."""
    pairs = [(usual[2], state.min), (usual[3], state.max)]
    informative = [(u, c) for u, c in pairs if abs(u) > 0.1 * usual[1] and math.isfinite(c)]
    return bool(informative) and all(
        1 / UNIT_EXTREME_TOLERANCE <= c / (factor * u) <= UNIT_EXTREME_TOLERANCE
        for u, c in informative
    )


def _rescaled(name: str, usual: Moments, state: NumericState) -> dict[str, Any] | None:
    """The factor when ``state`` looks like the usual (mean, std, min, max) times one number."""
    mean, std = usual[0], usual[1]
    if not std > 0 or state.n < UNIT_MIN_ROWS or not math.isfinite(state.std):
        return None
    factor = state.std / std
    if factor <= 0 or abs(math.log(factor)) < math.log(UNIT_FACTOR):
        return None
    if abs(state.mean - factor * mean) > UNIT_MEAN_TOLERANCE_SD * state.std:
        return None
    if not _extremes_follow(factor, usual, state):
        return None
    return {
        "column": name,
        "factor": factor,
        "usual_mean": mean,
        "current_mean": state.mean,
        "usual_std": std,
        "current_std": state.std,
    }


def _usual_moments(
    reference: Reference | None, earlier: Sequence[WindowProfile]
) -> dict[str, Moments]:
    """Mean, std, min and max of each numeric feature: the reference's, else earlier windows'."""
    if reference is not None:
        specs = [s for s in reference.features if isinstance(s, NumericSpec)]
        return {s.name: (s.mean, s.std, s.min, s.max) for s in specs}
    merged: dict[str, NumericState] = {}
    for window in earlier:
        for name, state in window.columns.items():
            if isinstance(state, NumericState):
                known = merged.get(name)
                merged[name] = state if known is None else known.merge(state)
    return {name: (st.mean, st.std, st.min, st.max) for name, st in merged.items() if st.n}


def unit_changes(
    reference: Reference | None, window: WindowProfile, earlier: Sequence[WindowProfile] = ()
) -> list[dict[str, Any]]:
    """Numeric features whose mean and spread moved by one common factor (a unit change)."""
    found = []
    for name, usual in _usual_moments(reference, earlier).items():
        state = window.columns.get(name)
        if isinstance(state, NumericState):
            hit = _rescaled(name, usual, state)
            if hit is not None:
                found.append(hit)
    return sorted(found, key=lambda h: -abs(math.log(h["factor"])))


def _outer_share(counts: np.ndarray[Any, Any], numeric: bool) -> float:
    total = float(counts.sum())
    if total <= 0:
        return 0.0
    outer = counts[0] + counts[-1] if numeric else counts[-1]
    return float(outer) / total


def ood_rates(reference: Reference | None, baseline: Baseline, current: Counts) -> dict[str, Any]:
    """Share of rows out of the reference range (numeric) or unseen (categorical), per feature.

    The row-level rate is not stored; the largest per-feature rate is a lower bound of it.
    """
    kinds = {}
    if reference is not None:
        kinds = {s.name: isinstance(s, NumericSpec) for s in reference.features}
    per = {}
    for name, cur in current.items():
        ref = baseline.counts.get(name)
        if ref is None:
            continue
        numeric = kinds.get(name, cur.size > 2)
        per[name] = {"current": _outer_share(cur, numeric), "usual": _outer_share(ref, numeric)}
    excess = {k: max(v["current"] - v["usual"], 0.0) for k, v in per.items()}
    top = max(excess, key=lambda k: excess[k], default=None)
    return {
        "rate": max((v["current"] for v in per.values()), default=0.0),
        "excess_rate": excess[top] if top else 0.0,
        "feature": top,
        "per_feature": dict(sorted(per.items())),
        "basis": "share of rows in the reference's under/overflow bins or unseen categories",
    }


def confidence_shift(
    reference: Reference | None, window: WindowProfile, signals: Sequence[Signal]
) -> dict[str, Any]:
    """How far the model's confidence (or score) moved against the reference, in its std."""
    drops = [s for s in signals if s.kind == "confidence_drop"]
    out: dict[str, Any] = {"column": None, "mean_shift_sd": None, "signals": len(drops)}
    if reference is None:
        return out
    name = reference.column_named(Role.CONFIDENCE) or reference.column_named(Role.PREDICTION)
    spec = reference.columns.get(name) if name else None
    state = window.columns.get(name) if name else None
    if isinstance(spec, NumericSpec) and isinstance(state, NumericState) and state.n:
        out["column"] = name
        shift = (state.mean - spec.mean) / spec.scale
        out["mean_shift_sd"] = shift if math.isfinite(shift) else None
        out["reference_mean"] = spec.mean
        out["current_mean"] = state.mean
    elif isinstance(spec, CategoricalSpec):
        out["column"] = name
    return out
