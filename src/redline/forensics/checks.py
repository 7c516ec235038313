"""Pipeline checks and statistical forensics of a window: integrity signals, the mapping-error
signature, the out-of-distribution rate and the shift of the model's confidence."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from redline.domain import Signal
from redline.forensics.attribution import Baseline, Counts
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, NumericSpec, Role
from redline.profiles.states import NumericState
from redline.profiles.window import WindowProfile

__all__ = [
    "INTEGRITY_KINDS",
    "RANGE_KINDS",
    "confidence_shift",
    "ood_rates",
    "pipeline_checks",
]

#: Signal kinds the integrity monitor raises; a mapping error is the strongest of them.
INTEGRITY_KINDS = (
    "mapping_error",
    "missing_column",
    "null_jump",
    "out_of_range",
    "type_violation",
    "unseen_categories",
)
#: Of those, the ones a drift or an attack also produces: evidence of new data, not of a bug.
RANGE_KINDS = ("out_of_range", "unseen_categories")


def pipeline_checks(signals: Sequence[Signal]) -> dict[str, Any]:
    """The integrity breaches among ``signals``, by kind, with the mapping-error evidence."""
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
        "pipeline_breaches": sum(s.kind not in RANGE_KINDS for s in breaches),
        "by_kind": {k: sorted(set(v)) for k, v in sorted(by_kind.items())},
        "mapping_errors": mapping[:5],
    }


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
