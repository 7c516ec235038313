"""Time series of a model's stored window statistics, downsampled per pixel bucket.

Every value is read from what the store keeps with each window (the monitors' results and the
summary of its profile's counts and sketches written when it was stored); nothing is judged
again. Windows stored without a summary are read off their payloads. A window's point is
computed once and kept (payloads never change; results are final once a window is evaluated),
so a week of one-minute windows costs one index read plus the windows not seen before.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redline.errors import DataError
from redline.profiles.reference import Reference
from redline.profiles.specs import Role
from redline.services.catalog import reference_in
from redline.services.view_types import View
from redline.services.window_points import (
    FIXED_METRICS,
    WindowPoint,
    point_of,
    point_of_summary,
    summary_fits,
    summary_has_drift,
)
from redline.store import (
    Session,
    Store,
    get_window_span,
    list_evaluated_ids,
    list_window_ids,
    list_window_parts,
    list_window_summaries,
)

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_BUCKETS",
    "RANGES",
    "Bucket",
    "SeriesSet",
    "TimeSeries",
    "UnknownMetricError",
    "get_series_set",
    "metric_label",
]

#: The most buckets a series is cut into (about one per two pixels of a wide chart).
MAX_BUCKETS = 1_000
#: The ranges a chart offers, ending with the model's last window.
RANGES = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7)}
#: The times a range may span.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)
#: Window points kept in memory across requests (a week of one-minute windows for ~30 models).
_POINTS_MAX = 300_000
_POINTS: OrderedDict[tuple[str, str, str], tuple[WindowPoint, float]] = OrderedDict()
#: Seconds before a point read from a window not yet evaluated is read again.
_RECHECK_S = 30.0
_POINTS_LOCK = threading.Lock()
_PREFIXES = ("drift:", "route:", "source:")


class UnknownMetricError(DataError):
    """A metric name that is neither fixed nor ``drift:``/``route:``/``source:`` something."""


@dataclass(frozen=True, slots=True)
class Bucket(View):
    """The windows that started in [start, end): how many, their min, max and mean value,
    whether a monitor flagged any of them (as stored), and the window with the highest value."""

    start: datetime
    end: datetime
    n_windows: int
    low: float
    high: float
    mean: float
    flagged: bool
    window_id: str


@dataclass(frozen=True, slots=True)
class TimeSeries(View):
    """One metric of a model over [start, end), with the threshold stored last (drift only)."""

    model: str
    metric: str
    label: str
    unit: str
    start: datetime
    end: datetime
    n_windows: int
    threshold: float | None
    buckets: tuple[Bucket, ...]


@dataclass(frozen=True, slots=True)
class SeriesSet:
    """Every series asked for over one range, and the metrics the range offers."""

    start: datetime
    end: datetime
    span: tuple[datetime, datetime] | None
    series: tuple[TimeSeries, ...]
    available: tuple[str, ...]
    #: Rows per route and per source over the range (``route:x``/``source:x`` -> rows); only
    #: when every metric was asked for.
    totals: Mapping[str, float]

    def get(self, metric: str) -> TimeSeries | None:
        """The series of ``metric``, or None when it was not asked for."""
        return next((s for s in self.series if s.metric == metric), None)


def metric_label(metric: str) -> tuple[str, str]:
    """(label, unit) of a metric name, for axes and legends."""
    if metric.startswith(_PREFIXES):
        kind, _, name = metric.partition(":")
        return {"drift": f"drift · {name}", "route": f"rows on route {name}"}.get(
            kind, f"rows from source {name}"
        ), ("" if kind == "drift" else "rows")
    if metric.startswith("latency"):
        return metric.replace("_", " "), "ms"
    return metric.replace("_", " "), ""


def _check(metrics: Iterable[str]) -> None:
    for metric in metrics:
        if len(metric) > 600:
            raise UnknownMetricError(f"metric names are at most 600 characters: {metric[:40]!r}…")
        if metric not in FIXED_METRICS and not (
            metric.startswith(_PREFIXES) and metric.partition(":")[2]
        ):
            known = ", ".join(FIXED_METRICS)
            raise UnknownMetricError(
                f"unknown metric {metric!r}: use one of {known}, or drift:<column>, "
                "route:<route>, source:<source>"
            )


def _points(
    session: Session, model: str, reference: Reference | None, window_ids: Sequence[str]
) -> list[WindowPoint]:
    """The points of these windows: kept ones, the others read (and kept).

    Every ``_RECHECK_S`` a kept point read before its window was evaluated asks whether it
    has been since (a worker stores the results of windows stored without them); only the
    windows that were are read again.
    """
    digest, now = "" if reference is None else reference.content_hash, time.monotonic()
    with _POINTS_LOCK:
        known = {i: _POINTS.get((model, digest, i)) for i in window_ids}
    missing = [i for i, kept in known.items() if kept is None]
    due = [
        i
        for i, kept in known.items()
        if kept is not None and not kept[0].evaluated and now - kept[1] > _RECHECK_S
    ]
    judged = list_evaluated_ids(session, window_ids=due) if due else []
    points = {i: kept[0] for i, kept in known.items() if kept is not None}
    fresh = _read(session, reference, digest, [*missing, *judged]) if missing or judged else {}
    points.update(fresh)
    with _POINTS_LOCK:
        for window_id in due:  # checked now: not due again for _RECHECK_S
            _POINTS[(model, digest, window_id)] = (points[window_id], now)
        for window_id, point in fresh.items():
            _POINTS[(model, digest, window_id)] = (point, now)
        while len(_POINTS) > _POINTS_MAX:
            _POINTS.popitem(last=False)
    return [p for i in window_ids if (p := points.get(i)) is not None]


def _read(
    session: Session, reference: Reference | None, digest: str, window_ids: Sequence[str]
) -> dict[str, WindowPoint]:
    """The points of these windows from their stored summaries, else (stored without one, or
    summarised on another reference) from the parts of their payloads."""
    summaries = list_window_summaries(session, window_ids=window_ids, results=False)
    fits = [s for s in summaries if summary_fits(s, digest)]
    # Results stored after the window (by a worker) are read from their own column.
    later = [s.id for s in fits if not summary_has_drift(s)]
    if later:
        judged = list_window_summaries(session, window_ids=later)
        fits = [s for s in fits if summary_has_drift(s)] + [
            s for s in judged if summary_fits(s, digest)
        ]
    fresh = {s.id: p for s in fits if (p := point_of_summary(s, digest)) is not None}
    rest = [i for i in window_ids if i not in fresh]
    if rest:
        roles = (Role.PREDICTION, Role.CONFIDENCE)
        named = [] if reference is None else [reference.column_named(r) for r in roles]
        names = sorted({n for n in named if n is not None})
        read = list_window_parts(session, window_ids=rest, columns=names)
        fresh |= {parts.id: point_of(parts, reference) for parts in read}
    return fresh


def _bucket(
    points: Sequence[WindowPoint], metric: str, start: datetime, end: datetime
) -> Bucket | None:
    valued = [(v, p) for p in points if (v := p.value(metric)) is not None]
    if not valued:
        return None
    values = [v for v, _ in valued]
    peak = max(valued, key=lambda vp: vp[0])[1]
    column = metric[len("drift:") :] if metric.startswith("drift:") else None
    flagged = column is not None and any(
        (r := p.drift.get(column)) is not None and r.flagged for _, p in valued
    )
    mean = sum(values) / len(values)
    return Bucket(start, end, len(values), min(values), max(values), mean, flagged, peak.id)


def _groups(
    points: Sequence[WindowPoint], start: datetime, end: datetime, n: int
) -> list[tuple[datetime, datetime, list[WindowPoint]]]:
    """The points cut into ``n`` equal spans of time by their start; empty spans left out."""
    width = (end - start) / n
    groups: list[list[WindowPoint]] = [[] for _ in range(n)]
    for point in points:
        groups[min(int((point.start - start) / width), n - 1)].append(point)
    return [
        (start + i * width, start + (i + 1) * width, group)
        for i, group in enumerate(groups)
        if group
    ]


def _series(
    model: str,
    metric: str,
    points: Sequence[WindowPoint],
    groups: Sequence[tuple[datetime, datetime, list[WindowPoint]]],
    start: datetime,
    end: datetime,
) -> TimeSeries:
    buckets = [_bucket(group, metric, low, high) for low, high, group in groups]
    threshold = None
    if metric.startswith("drift:"):
        column = metric[len("drift:") :]
        stored = [
            r.threshold for p in points if (r := p.drift.get(column)) and r.threshold is not None
        ]
        threshold = stored[-1] if stored else None
    label, unit = metric_label(metric)
    kept = tuple(b for b in buckets if b is not None)
    n_windows = sum(b.n_windows for b in kept)
    return TimeSeries(model, metric, label, unit, start, end, n_windows, threshold, kept)


def _tallies(points: Sequence[WindowPoint]) -> dict[str, float]:
    """Rows per route and per source over the points (``route:x``/``source:x`` -> rows)."""
    totals: dict[str, float] = {}
    for point in points:
        for key, value in point.counts.items():
            totals[key] = totals.get(key, 0.0) + value
    return totals


def _available(
    reference: Reference | None, points: Sequence[WindowPoint], totals: Mapping[str, float]
) -> tuple[str, ...]:
    """The metrics the range has values of: fixed ones, every feature's drift (in the reference's
    order, then other judged columns), then routes and sources (by rows when ``totals`` has them,
    else by name)."""
    distinct = {id(p.metrics): p.metrics for p in points}
    names: set[str] = set().union(*distinct.values())
    features = [s.name for s in (() if reference is None else reference.features)]
    judged = {n[len("drift:") :] for n in names if n.startswith("drift:")} - set(features)
    fixed = [m for m in FIXED_METRICS if m in names]
    tallies = sorted(
        (n for n in names if n.startswith(("route:", "source:"))),
        key=lambda k: (not k.startswith("route:"), -totals.get(k, 0.0), k),
    )
    drift = [f"drift:{c}" for c in (*features, *sorted(judged))]
    return (*fixed, *drift, *tallies)


def _chosen(metrics: Sequence[str] | None, available: Sequence[str], sources: int) -> list[str]:
    if metrics is not None:
        return list(metrics)
    kept = [m for m in available if m.startswith("source:")][:sources]
    return [m for m in available if not m.startswith("source:") or m in kept]


def _check_bounds(*moments: datetime | None) -> None:
    """Refuse times outside [1970, 9000): nothing is stored there, and date arithmetic near
    the calendar's ends overflows."""
    for moment in moments:
        try:
            inside = moment is None or EARLIEST <= moment.astimezone(UTC) < LATEST
        except OverflowError:
            inside = False
        if not inside:
            raise DataError(
                f"times must be from {EARLIEST.year} to {LATEST.year - 1}, not {moment}"
            )


def get_series_set(
    store: Store,
    *,
    model: str,
    metrics: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    last: timedelta | None = None,
    buckets: int = 240,
    sources: int = 8,
) -> SeriesSet:
    """``metrics`` of ``model`` over [start, end) in at most ``buckets`` buckets each.

    Without ``metrics``: every metric the range has, but only the ``sources`` busiest sources.
    Without ``end`` the range ends with the model's last window; ``last`` sets the start that
    long before the end (default: a day). Raises UnknownMetricError, DataError on a bad range.
    """
    _check(metrics or ())
    _check_bounds(start, end)
    if not 1 <= buckets <= MAX_BUCKETS:
        raise DataError(f"buckets must be between 1 and {MAX_BUCKETS}, not {buckets}")
    with store.reading() as session:
        reference = reference_in(session, model=model)
        span = get_window_span(session, model=model)
        end = end or (span[1] if span else None)
        if end is None:
            empty = tuple(
                TimeSeries(model, m, *metric_label(m), _EPOCH, _EPOCH, 0, None, ())
                for m in metrics or ()
            )
            return SeriesSet(_EPOCH, _EPOCH, None, empty, (), {})
        try:
            start = start or end - (last or timedelta(days=1))
        except OverflowError:
            raise DataError(f"the range cannot start before {end.isoformat()}") from None
        if start >= end:
            raise DataError(
                f"the range is empty: from {start.isoformat()} is not before {end.isoformat()}"
            )
        window_ids = list_window_ids(session, model=model, start=start, end=end)
        points = _points(session, model, reference, window_ids)
    # Rows per route and source over the range: only for "every metric" (the page's tables).
    totals = _tallies(points) if metrics is None else {}
    available = _available(reference, points, totals)
    groups = _groups(points, start, end, buckets)
    chosen = _chosen(metrics, available, sources)
    series = tuple(_series(model, m, points, groups, start, end) for m in chosen)
    return SeriesSet(start, end, span, series, available, totals)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
