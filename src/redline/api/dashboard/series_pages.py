"""The model page's charts over a chosen range, and one window against the reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from redline.api.context import get_context
from redline.api.dashboard.charts import feature_charts, feature_drift, series_of
from redline.api.dashboard.timecharts import TimeChart, time_chart
from redline.api.dashboard.web import VisitorDep, render
from redline.errors import DataError
from redline.profiles.reference import Reference
from redline.profiles.specs import Role
from redline.services.store_access import Store
from redline.services.timeseries import RANGES, SeriesSet, TimeSeries, get_series_set
from redline.services.window_points import WindowNotFoundError, get_window_detail

__all__ = ["RangeChoice", "model_charts", "read_range", "router"]

router = APIRouter(include_in_schema=False)

#: Buckets per chart: about one per six pixels of a wide chart.
PAGE_BUCKETS = 120
#: Sources charted (the busiest); the table lists every source of the range.
PAGE_SOURCES = 8
_INPUT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True, slots=True)
class RangeChoice:
    """The range the visitor chose: a name (hour, day, week, custom) and custom bounds."""

    name: str
    start: datetime | None
    end: datetime | None
    error: str = ""


def _parse(text: str) -> datetime | None:
    """A ``datetime-local`` value (or ISO 8601) as UTC; naive times are read as UTC."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.strip()[:40])
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_range(name: str, start: str, end: str) -> RangeChoice:
    """The range from the page's query: a named one, or custom ``from``/``to`` (UTC)."""
    if name != "custom" and not (start or end):
        return RangeChoice(name if name in RANGES else "day", None, None)
    try:
        low, high = _parse(start), _parse(end)
    except ValueError:
        return RangeChoice("day", None, None, "from and to must be dates and times (UTC)")
    if low is not None and high is not None and low >= high:
        return RangeChoice("day", None, None, "from must be before to")
    return RangeChoice("custom", low, high)


def _chart(
    found: SeriesSet, chart_id: str, title: str, model: str, metrics: list[str]
) -> TimeChart | None:
    series: list[TimeSeries] = [s for m in metrics if (s := found.get(m)) is not None]
    if not any(s.buckets for s in series):
        return None
    return time_chart(chart_id, title, model, series, band=len(series) == 1)


def model_charts(store: Store, model: str, choice: RangeChoice) -> dict[str, Any]:
    """Template values: the range, one chart per feature's drift, the distributions, latency,
    traffic by route and by source, and each route's and source's rows over the range."""
    last = RANGES.get(choice.name, RANGES["day"])
    try:
        found = get_series_set(
            store,
            model=model,
            start=choice.start,
            end=choice.end,
            last=last,
            buckets=PAGE_BUCKETS,
            sources=PAGE_SOURCES,
        )
    except DataError as exc:
        choice = RangeChoice("day", None, None, str(exc))
        found = get_series_set(store, model=model, last=last, buckets=PAGE_BUCKETS)
    names = [s.metric for s in found.series]
    groups = [
        ("chart-prediction", "Prediction: mean and p10 / p50 / p90", "prediction_"),
        ("chart-confidence", "Confidence: mean and p10 / p50 / p90", "confidence_"),
        ("chart-latency", "Latency p50 and p99 (ms)", "latency_"),
        ("chart-routes", "Rows by route", "route:"),
        ("chart-sources", f"Rows by source (the {PAGE_SOURCES} busiest)", "source:"),
    ]
    charts = [_chart(found, "chart-rows", "Rows and errors per window", model, ["rows", "errors"])]
    charts += [
        _chart(found, chart_id, title, model, [m for m in names if m.startswith(prefix)])
        for chart_id, title, prefix in groups
    ]
    drift = [
        _chart(found, f"chart-drift-{i}", s.label, model, [s.metric])
        for i, s in enumerate(s for s in found.series if s.metric.startswith("drift:"))
    ]
    total = sum(v for k, v in found.totals.items() if k.startswith("route:")) or 1.0
    return {
        "range": choice,
        "ranges": list(RANGES),
        "range_start": found.start,
        "range_end": found.end,
        "range_from": found.start.astimezone(UTC).strftime(_INPUT),
        "range_to": found.end.astimezone(UTC).strftime(_INPUT),
        "range_windows": found.series[0].n_windows if found.series else 0,
        "drift_charts": [c for c in drift if c is not None],
        "time_charts": [c for c in charts if c is not None],
        "breakdown": {
            kind: [
                (k.partition(":")[2], v, v / total)
                for k, v in sorted(found.totals.items(), key=lambda kv: -kv[1])
                if k.startswith(f"{kind}:")
            ]
            for kind in ("route", "source")
        },
    }


def _served(reference: Reference) -> list[str]:
    named = (reference.column_named(r) for r in (Role.PREDICTION, Role.CONFIDENCE))
    return list(dict.fromkeys(n for n in named if n is not None))


@router.get("/models/{model}/windows/{window_id:path}", response_class=HTMLResponse)
def window_page(model: str, window_id: str, request: Request, visitor: VisitorDep) -> Response:
    """One window: each feature's bins against the reference and its stored drift result."""
    store = get_context(request).store
    try:
        detail = get_window_detail(store, model=model, window_id=window_id)
    except WindowNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    window, reference = detail.window, detail.reference
    results = [detail.results]
    charts = []
    if reference is not None:
        # Features first, then the prediction and confidence columns: what the model answered.
        served = [reference.columns[n] for n in _served(reference) if n in reference.columns]
        specs = [*reference.features, *served]
        charts = feature_charts(reference, [window], results, columns=specs)
    sources = sorted(window.sources.counts.items(), key=lambda kv: -kv[1])
    return render(
        request,
        "window.html",
        visitor,
        model=model,
        window=window,
        features=charts,
        drift=feature_drift(list(window.columns), detail.results),
        series=series_of(reference, [window]),
        reference=reference,
        sources=sources,
        compared=reference is not None and window.reference_hash == reference.content_hash,
    )
