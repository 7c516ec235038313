"""Prometheus metrics read from the store at scrape time: traffic, routes, drift, incidents.

Drift is what the monitors' results stored with each latest window say, never recomputed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from redline.domain import Route, Severity
from redline.domain.containment import DEPARTURES, departures
from redline.domain.health import ModelHealth, ReviewSla, model_health
from redline.profiles.window import guard_figures
from redline.services.result_types import WindowResults
from redline.services.review import oldest_pending_review_in
from redline.services.routes import current_route
from redline.store import (
    Session,
    Store,
    count_open_incidents,
    get_latest_window,
    list_model_names,
    list_verified_actions,
)

__all__ = [
    "LATENCY_BUCKETS_S",
    "MetricsSnapshot",
    "ModelMetrics",
    "StoreCollector",
    "metric_families",
    "read_metrics",
]

log = logging.getLogger("redline.services")

#: Buckets of the apply → verify latency histogram, in seconds.
LATENCY_BUCKETS_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


@dataclass(frozen=True)
class ModelMetrics:
    """One model at scrape time: its latest window, route and per-column drift."""

    model: str
    route_mode: str
    route_revision: int
    window_rows: int | None = None
    window_end_s: float | None = None
    routes: dict[str, int] = field(default_factory=dict)
    #: (column, statistic, value, threshold, flagged) as stored with the latest window.
    drift: list[tuple[str, str, float, float, bool]] = field(default_factory=list)
    departures: tuple[str, ...] = ()
    window_start_s: float | None = None
    #: When the oldest review still pending was queued (Unix time), if any.
    oldest_review_s: float | None = None
    #: The Guard's control path as it closed the latest window (``WindowProfile.guard``).
    guard: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricsSnapshot:
    """Everything one scrape reports."""

    models: list[ModelMetrics]
    open_incidents: dict[tuple[str, str], int]
    latencies_s: dict[tuple[str, str], list[float]]
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    review_sla: ReviewSla = field(default_factory=ReviewSla)

    def health(self, m: ModelMetrics) -> ModelHealth:
        """``m``'s health by the one rule the dashboard and the CLI use too."""
        window = None
        if m.window_start_s is not None and m.window_end_s is not None:
            window = (_at(m.window_start_s), _at(m.window_end_s))
        return model_health(
            departures=m.departures,
            open_incidents=sum(
                n for (model, _), n in self.open_incidents.items() if model == m.model
            ),
            last_window=window,
            now=self.checked_at,
            oldest_review=None if m.oldest_review_s is None else _at(m.oldest_review_s),
            review_sla_s=self.review_sla.limit_s(m.model),
        )


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _drift(results: WindowResults | None) -> list[tuple[str, str, float, float, bool]]:
    """Each column's stored statistic, threshold and whether the monitors flagged it."""
    if results is None:
        return []
    return [
        (c.column, c.statistic, c.value, c.threshold, c.flagged)
        for c in results.columns
        if c.value is not None and c.threshold is not None
    ]


def _model(session: Session, model: str) -> ModelMetrics:
    route = current_route(session, model=model)
    off = departures(route)
    oldest = oldest_pending_review_in(session, model=model)
    oldest_s = None if oldest is None else oldest.timestamp()
    row = get_latest_window(session, model=model)
    if row is None:
        return ModelMetrics(
            model, route.mode.value, route.revision, departures=off, oldest_review_s=oldest_s
        )
    routes = {str(k): int(v) for k, v in (row.payload.get("routes") or {}).items()}
    try:
        drift = _drift(WindowResults.from_document(row.results))
    except (KeyError, TypeError, ValueError):  # one unreadable window must not fail the scrape
        log.warning("no drift metrics for model %r: its latest results cannot be read", model)
        drift = []
    end_s = row.end.timestamp()
    return ModelMetrics(
        model,
        route.mode.value,
        route.revision,
        row.n_rows,
        end_s,
        routes,
        drift,
        off,
        row.start.timestamp(),
        oldest_s,
        guard=guard_figures(row.payload),
    )


def read_metrics(store: Store, *, review_sla: ReviewSla | None = None) -> MetricsSnapshot:
    """Read what one scrape reports: the latest windows' stored results, never recomputed;
    health judges pending reviews by ``review_sla`` (the playbook's; default a day)."""
    with store.reading() as session:
        models = [_model(session, name) for name in list_model_names(session)]
        incidents = {(m, s): n for m, s, n in count_open_incidents(session)}
        latencies: dict[tuple[str, str], list[float]] = {}
        for action in list_verified_actions(session):
            if action.applied_at is None or action.verified_at is None:
                continue
            seconds = max(0.0, (action.verified_at - action.applied_at).total_seconds())
            latencies.setdefault((action.model, action.type), []).append(seconds)
    return MetricsSnapshot(models, incidents, latencies, review_sla=review_sla or ReviewSla())


def _histogram(values: Iterable[float]) -> tuple[list[tuple[str, float]], float]:
    ordered = sorted(values)
    buckets = [(str(b), float(sum(1 for v in ordered if v <= b))) for b in LATENCY_BUCKETS_S]
    return [*buckets, ("+Inf", float(len(ordered)))], float(sum(ordered))


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def _window_families(models: Iterable[ModelMetrics]) -> list[Metric]:
    """Traffic, freshness and routing of each model's latest window."""
    rows = _gauge("redline_window_rows", "Rows in the model's latest window.", ["model"])
    ended = _gauge(
        "redline_window_end_timestamp_seconds",
        "When the model's latest window closed (Unix time): a Guard gone quiet stops moving it.",
        ["model"],
    )
    routed = _gauge(
        "redline_window_route_rows", "Rows per route in the latest window.", ["model", "route"]
    )
    revision = _gauge("redline_route_revision", "RouteState revision in force.", ["model"])
    mode = _gauge("redline_route_mode", "1 for the route mode in force.", ["model", "mode"])
    route_age = _gauge(
        "redline_guard_route_age_seconds",
        "Seconds since the model's Guard last heard from its route source, as it closed the "
        "latest window (a Guard that cannot follow containment shows it here).",
        ["model"],
    )
    busy = _gauge(
        "redline_guard_window_thread_busy_seconds",
        "Longest seconds the model's Guard spent closing and handing over one window, up to "
        "the one before its latest.",
        ["model"],
    )
    for m in models:
        revision.add_metric([m.model], m.route_revision)
        if "route_age_s" in m.guard:
            route_age.add_metric([m.model], m.guard["route_age_s"])
        if "window_thread_busy_s" in m.guard:
            busy.add_metric([m.model], m.guard["window_thread_busy_s"])
        for route in Route:
            mode.add_metric([m.model, route.value], float(route.value == m.route_mode))
        if m.window_rows is not None:
            rows.add_metric([m.model], m.window_rows)
        if m.window_end_s is not None:
            ended.add_metric([m.model], m.window_end_s)
        for route_name, n in sorted(m.routes.items()):
            routed.add_metric([m.model, route_name], n)
    return [rows, ended, routed, revision, mode, route_age, busy, *_degraded_families(models)]


def _degraded_families(models: Iterable[ModelMetrics]) -> list[Metric]:
    """Whether each model is off its primary route, and every way it is."""
    degraded = _gauge(
        "redline_model_degraded",
        "1 while the model is off its primary route (fallback, review, filters...), else 0.",
        ["model"],
    )
    departure = _gauge(
        "redline_route_departure",
        "1 for each way the model's route departs from the primary.",
        ["model", "departure"],
    )
    for m in models:
        degraded.add_metric([m.model], float(bool(m.departures)))
        for name, _ in DEPARTURES:
            departure.add_metric([m.model, name], float(name in m.departures))
    return [degraded, departure]


def _drift_families(models: Iterable[ModelMetrics]) -> list[Metric]:
    """Each watched column's drift statistic next to its calibrated threshold."""
    labels = ["model", "column", "statistic"]
    drift = _gauge(
        "redline_drift_statistic",
        "Primary drift statistic of each column, latest window against the reference.",
        labels,
    )
    threshold = _gauge(
        "redline_drift_threshold",
        "Calibrated threshold of each column's primary drift statistic.",
        labels,
    )
    flagged = _gauge(
        "redline_drift_flagged",
        "1 when the monitors raised a drift signal on the column in the latest window, else 0.",
        labels,
    )
    for m in models:
        for column, statistic, value, limit, raised in m.drift:
            drift.add_metric([m.model, column, statistic], value)
            threshold.add_metric([m.model, column, statistic], limit)
            flagged.add_metric([m.model, column, statistic], float(raised))
    return [drift, threshold, flagged]


def metric_families(snapshot: MetricsSnapshot) -> list[Metric]:
    """The Prometheus metric families of a snapshot."""
    incidents = _gauge(
        "redline_open_incidents", "Open incidents by severity.", ["model", "severity"]
    )
    for m in snapshot.models:
        for severity in Severity:
            incidents.add_metric(
                [m.model, severity.value], snapshot.open_incidents.get((m.model, severity.value), 0)
            )
    latency = HistogramMetricFamily(
        "redline_action_verify_seconds",
        "Time from applying a containment action to seeing it verified.",
        labels=["model", "type"],
    )
    for (model, action_type), values in sorted(snapshot.latencies_s.items()):
        buckets, total = _histogram(values)
        latency.add_metric([model, action_type], buckets, total)
    models = snapshot.models
    return [
        *_window_families(models),
        *_health_families(snapshot),
        *_drift_families(models),
        incidents,
        latency,
    ]


def _health_families(snapshot: MetricsSnapshot) -> list[Metric]:
    """Whether each model is healthy, and how long it has been silent."""
    healthy = _gauge(
        "redline_model_healthy",
        "1 while the model is on its primary route, has no open incident, sends windows and "
        "no review waits past its SLA.",
        ["model"],
    )
    silent = _gauge(
        "redline_model_silent_seconds",
        "Seconds since the model's latest window once it counts as silent (3 window lengths, "
        "at least 5 minutes), else 0.",
        ["model"],
    )
    waiting = _gauge(
        "redline_review_oldest_wait_seconds",
        "Seconds the model's oldest pending review has waited for a person, else 0.",
        ["model"],
    )
    for m in snapshot.models:
        health = snapshot.health(m)
        healthy.add_metric([m.model], float(health.healthy))
        silent.add_metric([m.model], health.silent_s or 0.0)
        waiting.add_metric([m.model], health.review_wait_s or 0.0)
    return [healthy, silent, waiting]


class StoreCollector(Collector):
    """A Prometheus collector that reads the store on every scrape."""

    def __init__(self, store: Store, *, review_sla: ReviewSla | None = None) -> None:
        self.store = store
        self.review_sla = review_sla

    def collect(self) -> Iterator[Metric]:
        """Read the store now and yield every metric family."""
        yield from metric_families(read_metrics(self.store, review_sla=self.review_sla))

    def describe(self) -> list[Any]:
        """Nothing up front, so registering the collector does not read the store."""
        return []
