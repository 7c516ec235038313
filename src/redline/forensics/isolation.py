"""Which sources and segments the drift shrinks without: leave-one-out on the stored windows.

Windows keep per-source row counts (heavy hitters) and per-column histograms, not the source of
each row. So the rows a source added beyond its usual share are removed from the bins that grew
most against the baseline: the largest shrinkage its rows could explain (an upper bound). A
segment (one category of a categorical feature) is removed exactly from its own column and the
same way from the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from redline.forensics.attribution import Baseline, Counts, FloatArray, total_excess
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec
from redline.profiles.window import WindowProfile

__all__ = [
    "ISOLATION_BASIS",
    "Isolation",
    "remove_excess",
    "segments_isolation",
    "sources_isolation",
]

ISOLATION_BASIS = (
    "upper bound from per-source row counts (heavy hitters) and per-feature histograms: the rows "
    "a source or segment added beyond its usual share are taken out of the bins that grew most"
)


@dataclass(frozen=True)
class Isolation:
    """How much the drift shrinks without one source or segment (0 = none, 1 = all of it)."""

    name: str
    rows: int
    share: float
    usual_share: float
    drift_without: float
    shrinkage: float


def remove_excess(reference: FloatArray, current: FloatArray, rows: float) -> FloatArray:
    """``current`` less ``rows`` rows taken from its bins above the reference's shares.

    >>> remove_excess(np.array([5.0, 5.0]), np.array([5.0, 9.0]), 4.0).tolist()
    [5.0, 5.0]
    """
    n = float(current.sum())
    rows = min(max(rows, 0.0), n)
    if rows == 0 or reference.sum() <= 0:
        return current
    expected = (n - rows) * reference / reference.sum()
    grown = np.clip(current - expected, 0.0, None)
    taken = grown * min(1.0, rows / grown.sum()) if grown.sum() > 0 else np.zeros_like(current)
    rest = rows - float(taken.sum())
    if rest > 1e-9:  # more rows than growth: the remainder keeps the histogram's shape
        left = current - taken
        taken = taken + rest * left / left.sum()
    out: FloatArray = np.clip(current - taken, 0.0, None)
    return out


def _without(baseline: Baseline, current: Counts, rows: float, exact: Mapping[str, int]) -> Counts:
    out = {}
    for name, cur in current.items():
        ref = baseline.counts.get(name)
        if ref is None:
            continue
        if name in exact:  # the segment's own column: its rows are known to sit in one bin
            trimmed = cur.copy()
            trimmed[exact[name]] = max(trimmed[exact[name]] - rows, 0.0)
            out[name] = trimmed
        else:
            out[name] = remove_excess(ref, cur, rows)
    return out


def _rank(items: list[Isolation]) -> list[Isolation]:
    return sorted(items, key=lambda i: (-i.shrinkage, -i.rows, i.name))


def sources_isolation(
    baseline: Baseline, window: WindowProfile, current: Counts, earlier: Sequence[WindowProfile]
) -> list[Isolation]:
    """Sources of ``window`` ranked by how much its drift shrinks without their extra rows."""
    total = window.sources.total
    drift = total_excess(baseline, current)
    if total <= 0:
        return []
    seen = sum(w.sources.total for w in earlier)
    out = []
    for source, count in window.sources.top(20):
        usual = sum(w.sources.counts.get(source, 0) for w in earlier) / seen if seen else 0.0
        share = count / total
        extra = max(share - usual, 0.0) * window.n_rows
        after = total_excess(baseline, _without(baseline, current, extra, {}))
        shrink = (drift - after) / drift if drift > 0 else 0.0
        out.append(Isolation(source, count, share, usual, after, max(shrink, 0.0)))
    return _rank(out)


def segments_isolation(
    baseline: Baseline, reference: Reference, current: Counts, *, per_feature: int = 5
) -> list[Isolation]:
    """Categories of the categorical features, ranked by how much the drift shrinks without them."""
    drift = total_excess(baseline, current)
    out = []
    for spec in reference.features:
        cur = current.get(spec.name)
        if not isinstance(spec, CategoricalSpec) or cur is None or cur.sum() <= 0:
            continue
        usual = spec.counts / spec.counts.sum()
        n = float(cur.sum())
        extra = cur - usual * n
        labels = [*spec.vocab, "(unseen)"]
        for i in np.argsort(-extra, kind="stable")[:per_feature]:
            rows = float(extra[i])
            if rows <= 0:
                continue
            after = total_excess(baseline, _without(baseline, current, rows, {spec.name: int(i)}))
            shrink = (drift - after) / drift if drift > 0 else 0.0
            name = f"{spec.name}={labels[i]}"
            out.append(
                Isolation(name, int(cur[i]), cur[i] / n, float(usual[i]), after, max(shrink, 0.0))
            )
    return _rank(out)
