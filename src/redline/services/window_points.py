"""One window as a chart sees it: its stored results and a few numbers read off its profile.

Drift values, thresholds and levels are the monitors' results stored with the window; the other
numbers (row counts, latency quantiles, prediction and confidence distributions, traffic by route
and source) are read off the stored profile for display, never to judge anything.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from redline.domain import Level
from redline.errors import DataError
from redline.profiles.reference import Reference
from redline.profiles.sketches import LogHistogram
from redline.profiles.specs import NumericSpec, Role
from redline.profiles.window import WindowProfile
from redline.services.catalog import reference_in
from redline.services.result_types import RESULTS_VERSION, WindowResults
from redline.services.window_results import profiled_reference_in
from redline.store import Session, Store, WindowParts, WindowSummary, get_window

__all__ = [
    "DISTRIBUTION_QUANTILES",
    "FIXED_METRICS",
    "SUMMARY_VERSION",
    "DriftValue",
    "WindowDetail",
    "WindowNotFoundError",
    "WindowPoint",
    "binned_quantiles",
    "get_window_detail",
    "point_of",
    "point_of_summary",
    "summary_fits",
    "summary_has_drift",
    "summary_of",
    "window_summary_in",
]

#: Levels of a column a monitor raised a signal on.
_FLAGGED = frozenset(level.value for level in Level)
#: The stored summary's format; a summary of another version is read as none.
SUMMARY_VERSION = 1
#: Quantiles of the prediction and confidence charted per window.
DISTRIBUTION_QUANTILES = (0.1, 0.5, 0.9)
#: Metrics every model has (besides ``drift:<column>``, ``route:<route>``, ``source:<source>``).
FIXED_METRICS = (
    "rows",
    "errors",
    "latency_p50",
    "latency_p99",
    *(
        f"{role}_{stat}"
        for role in ("prediction", "confidence")
        for stat in ("mean", "p10", "p50", "p90")
    ),
)


class DriftValue(NamedTuple):
    """A column's stored drift result as a chart reads it."""

    value: float | None
    threshold: float | None
    #: Whether the monitor raised a signal on the column (warning, alarm or critical).
    flagged: bool


@dataclass(frozen=True, slots=True)
class WindowPoint:
    """A window's numbers by metric name, and its stored results by column."""

    id: str
    start: datetime
    end: datetime
    evaluated: bool
    values: Mapping[str, float]
    drift: Mapping[str, DriftValue] = field(default_factory=dict)
    #: Rows by route and by source (``route:x``, ``source:x``), kept apart from ``values``.
    counts: Mapping[str, float] = field(default_factory=dict)
    #: Every metric this window has a value of; windows alike share one set (see ``_shared``).
    metrics: frozenset[str] = frozenset()

    def value(self, metric: str) -> float | None:
        """This window's value of ``metric`` (None when it has none)."""
        if metric.startswith("drift:"):
            result = self.drift.get(metric[len("drift:") :])
            return None if result is None else result.value
        found = self.values.get(metric)
        return self.counts.get(metric) if found is None else found


def binned_quantiles(
    edges: Sequence[float], counts: Sequence[int], low: float, high: float, qs: Sequence[float]
) -> list[float]:
    """The ``qs`` quantiles of values counted in bins, interpolated linearly inside their bin.

    Bin ``i`` spans ``edges[i-1]`` to ``edges[i]``; the first and last bins are closed by the
    smallest and largest value seen (``low``, ``high``). NaN when nothing was counted.

    >>> binned_quantiles([0.0, 1.0], [0, 10, 0], low=0.0, high=1.0, qs=[0.5])
    [0.5]
    >>> binned_quantiles([0.0], [5, 5], low=-2.0, high=2.0, qs=[0.25, 0.75])
    [-1.0, 1.0]
    """
    cumulative = list(itertools.accumulate(counts))
    total = cumulative[-1] if cumulative else 0
    if total <= 0 or not math.isfinite(low) or not math.isfinite(high):
        return [math.nan] * len(qs)
    bounds = [min(max(b, low), high) for b in (low, *edges, high)]
    out = []
    for q in qs:
        target = q * total
        i = min(bisect.bisect_left(cumulative, target), len(counts) - 1)
        below = cumulative[i - 1] if i > 0 else 0
        share = (target - below) / counts[i] if counts[i] else 0.0
        out.append(float(bounds[i] + share * (bounds[i + 1] - bounds[i])))
    return out


def _distribution(
    role: str, reference: Reference | None, name: str | None, state: Any
) -> dict[str, float]:
    # Read off the stored state's JSON directly: this runs once per window of a long range.
    if name is None or not isinstance(state, Mapping) or not state.get("counts"):
        return {}
    counts = [int(c) for c in state["counts"]]
    n = sum(counts)
    if n == 0:
        return {}
    spec = None if reference is None else reference.columns.get(name)
    if state.get("type") != "numeric" or not isinstance(spec, NumericSpec):
        # A categorical prediction: the share of its first reference class.
        return {f"{role}_mean": counts[0] / n}
    low, high = state.get("min"), state.get("max")
    out = {f"{role}_mean": float(state.get("total") or 0.0) / n}
    if low is None or high is None:
        return out
    found = binned_quantiles(_edges(spec), counts, float(low), float(high), DISTRIBUTION_QUANTILES)
    out |= {
        f"{role}_p{round(q * 100)}": v for q, v in zip(DISTRIBUTION_QUANTILES, found, strict=True)
    }
    return out


def _edges(spec: NumericSpec) -> list[float]:
    edges: list[float] = spec.edges.tolist()
    return edges


def _latency(data: Any) -> dict[str, float]:
    if not isinstance(data, Mapping) or not data.get("n"):
        return {}
    histogram = LogHistogram.from_dict(data)
    return {"latency_p50": histogram.quantile(0.5), "latency_p99": histogram.quantile(0.99)}


def _tally(prefix: str, counts: Any) -> dict[str, float]:
    if not isinstance(counts, Mapping):
        return {}
    return {f"{prefix}:{k}": float(v) for k, v in counts.items()}


def summary_of(payload: Mapping[str, Any], reference: Reference | None) -> dict[str, Any]:
    """The numbers a chart reads off a window's payload (or the parts of it a series reads),
    read against ``reference``: what is kept in the window's row as its summary."""
    columns = payload.get("columns") or {}
    values: dict[str, float] = {"errors": float(payload.get("errors") or 0)}
    values |= _latency(payload.get("latency_ms"))
    for role, which in (("prediction", Role.PREDICTION), ("confidence", Role.CONFIDENCE)):
        name = None if reference is None else reference.column_named(which)
        values |= _distribution(role, reference, name, columns.get(name) if name else None)
    counts = _tally("route", payload.get("routes"))
    counts |= _tally("source", (payload.get("sources") or {}).get("counts"))
    finite = {k: v for k, v in values.items() if math.isfinite(v)}
    return {"version": SUMMARY_VERSION, "values": finite, "counts": counts}


def window_summary_in(
    session: Session,
    *,
    model: str,
    payload: Mapping[str, Any],
    results: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The summary stored with a new window of ``model``, read against the stored reference
    it was profiled on (its ``reference_hash``), with the drift of its stored ``results`` when
    they are stored with it (results stored later are read from their own column)."""
    content_hash = str(payload.get("reference_hash") or "")
    reference = None
    if content_hash:
        reference = profiled_reference_in(session, model=model, content_hash=content_hash)
    # The hash of the reference read against, so a reader with another one reads the payload.
    read_on = None if reference is None else content_hash
    summary = {**summary_of(payload, reference), "reference_hash": read_on}
    if results is not None:
        summary["drift"] = {c: list(v) for c, v in _drift(results).items()}
    return summary


def point_of(stored: WindowParts, reference: Reference | None) -> WindowPoint:
    """The chart's view of one window, from the parts read off its row and payload."""
    return _point(stored, summary_of(stored.parts, reference))


def summary_fits(stored: WindowSummary, reference_hash: str | None) -> bool:
    """Whether the window's stored summary was read against the reference of
    ``reference_hash`` (the content hash of the reference a series reads with)."""
    summary = stored.summary
    return bool(
        summary
        and summary.get("version") == SUMMARY_VERSION
        and (summary.get("reference_hash") or None) == (reference_hash or None)
    )


def summary_has_drift(stored: WindowSummary) -> bool:
    """Whether the stored summary holds the window's drift results (stored with it)."""
    return stored.summary is not None and "drift" in stored.summary


def point_of_summary(stored: WindowSummary, reference_hash: str | None) -> WindowPoint | None:
    """The chart's view of one window from its stored summary (and its stored results when the
    summary has no drift); None when the summary does not fit (see :func:`summary_fits`):
    stored before summaries, or profiled on another reference."""
    if not summary_fits(stored, reference_hash):
        return None
    return _point(stored, stored.summary or {})


def _point(stored: WindowParts | WindowSummary, summary: Mapping[str, Any]) -> WindowPoint:
    values = {"rows": float(stored.n_rows), **summary["values"]}
    counts: dict[str, float] = summary["counts"]
    kept = summary.get("drift")
    drift = _drift(stored.results) if kept is None else {c: DriftValue(*v) for c, v in kept.items()}
    names = _shared(frozenset((*values, *counts, *(f"drift:{c}" for c in drift))))
    return WindowPoint(
        stored.id, stored.start, stored.end, stored.evaluated, values, drift, counts, names
    )


def _drift(document: Mapping[str, Any] | None) -> dict[str, DriftValue]:
    """Each column's value, threshold and flag in a stored results document (as
    ``WindowResults.from_document`` reads it, without its objects: this runs once per window of
    a long range). Results on another reference's columns still chart: the monitors stored them."""
    if not document or document.get("version") != RESULTS_VERSION:
        return {}
    return {
        str(c["column"]): DriftValue(
            _finite(c.get("value")), _finite(c.get("threshold")), c.get("level") in _FLAGGED
        )
        for c in document.get("columns") or ()
    }


def _finite(value: Any) -> float | None:
    number = None if value is None else float(value)
    return number if number is not None and math.isfinite(number) else None


#: One object per distinct set of metric names, so a range's metrics are a union of a few sets.
_SHARED: dict[frozenset[str], frozenset[str]] = {}
_SHARED_MAX = 10_000


def _shared(names: frozenset[str]) -> frozenset[str]:
    found = _SHARED.get(names)
    if found is not None:
        return found
    if len(_SHARED) >= _SHARED_MAX:
        _SHARED.clear()
    _SHARED[names] = names
    return names


@dataclass(frozen=True, slots=True)
class WindowDetail:
    """One stored window, its monitors' results and the model's reference, to compare against."""

    model: str
    window: WindowProfile
    results: WindowResults | None
    reference: Reference | None


class WindowNotFoundError(DataError):
    """No window with this id is stored for this model."""


def get_window_detail(store: Store, *, model: str, window_id: str) -> WindowDetail:
    """The window ``window_id`` of ``model`` as stored; raises WindowNotFoundError."""
    with store.reading() as session:
        row = get_window(session, window_id=window_id)
        if row is None or row.model != model:
            raise WindowNotFoundError(f"model {model!r} has no window {window_id!r}")
        return WindowDetail(
            model,
            WindowProfile.from_dict(row.payload),
            WindowResults.from_document(row.results),
            reference_in(session, model=model),
        )
