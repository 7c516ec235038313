"""Labels joined to served predictions, and realized performance per window against a baseline."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypedDict, Unpack

from redline.domain import Level, Route, Signal
from redline.guard.sinks import Feedback
from redline.profiles.degradation import PerformanceDrop, performance_drops
from redline.profiles.performance import performance_metrics
from redline.profiles.reference import Reference
from redline.services.response import ResponsePlan
from redline.services.triage import triage_signals_in
from redline.store import (
    Session,
    SignalRow,
    Store,
    WindowRow,
    add_labels,
    add_predictions,
    add_signals,
    get_window,
    list_labelled_predictions,
    list_unscored_labels,
    list_windows_before,
    mark_labels_scored,
)

__all__ = [
    "PerformanceCheck",
    "PerformanceLimits",
    "ServedPrediction",
    "check_performance",
    "performance_signals",
    "performance_signals_in",
    "realized_performance",
    "record_labels",
    "record_labels_in",
    "record_served_in",
]

MONITOR = "performance"
KIND = "performance_drop"
#: A label whose prediction is not stored within this time is not waited for any longer.
ORPHAN_GRACE = timedelta(days=1)


class ServedPrediction(NamedTuple):
    """What was served for one request: the predicted value, the route, and when."""

    request_id: str
    value: Any
    route: str
    served_at: datetime


class PerformanceLimits(TypedDict, total=False):
    """Labels a verdict needs, the false-alarm budget, and the smallest drops that count.

    Defaults: ``min_labels`` 50 primary-served labelled rows in the window; ``alpha`` 0.001
    per window over all metrics judged (a warning); ``at_once_alpha`` 1e-6, the p-value that
    makes a drop an alarm at once, without the window before showing it too (pooled with this
    one, the drop must stand again); ``min_accuracy_drop`` 0.05 and ``min_recall_drop``
    0.1 (absolute); ``min_class_labels`` 10 labels of a class before its recall is judged;
    ``min_mae_increase`` 0.2 (a regression's MAE up by a fifth of the baseline at least).
    """

    min_labels: int
    alpha: float
    at_once_alpha: float
    min_recall_drop: float
    min_accuracy_drop: float
    min_class_labels: int
    min_mae_increase: float


@dataclass(frozen=True, slots=True)
class PerformanceCheck:
    """The performance signals one check raised and the incident they went to, if any."""

    signals: list[Signal]
    incident: str | None


def record_served_in(
    session: Session, *, model: str, window_id: str | None, served: Iterable[ServedPrediction]
) -> int:
    """Keep served predictions for labels to join later; returns how many were new."""
    rows = [ServedPrediction._make(item) for item in served]
    return add_predictions(session, model=model, window_id=window_id, rows=rows)


def record_labels_in(
    session: Session, *, model: str, labels: Iterable[Feedback], source: str = "feedback"
) -> int:
    """Store labels (``guard.feedback()`` or review decisions); returns how many."""
    rows = [(f.request_id, f.label, f.at) for f in labels]
    return len(add_labels(session, model=model, labels=rows, source=source))


def record_labels(
    store: Store, *, model: str, labels: Iterable[Feedback], source: str = "feedback"
) -> int:
    """Store labels in one transaction; returns how many."""
    with store.session() as session:
        return record_labels_in(session, model=model, labels=labels, source=source)


def realized_performance(
    session: Session,
    *,
    model: str,
    window_id: str,
    task: str = "classification",
    min_labels: int = 50,
) -> dict[str, Any] | None:
    """Metrics of the window's labelled predictions the primary model served (``min_labels``)."""
    # The fallback's, the review queue's or a blocked request's answers say nothing about the
    # primary model: counted, they kept an incident on the fallback from ever resolving.
    pairs = [
        p
        for p in list_labelled_predictions(session, model=model, window_id=window_id)
        if p.route == Route.PRIMARY
    ]
    if len(pairs) < min_labels:
        return None
    metrics = performance_metrics([p.label for p in pairs], [p.value for p in pairs], task=task)
    return metrics if metrics is not None and metrics["n"] >= min_labels else None


def _signal(
    model: str, window: WindowRow, drop: PerformanceDrop, base: dict[str, Any], now: dict[str, Any]
) -> Signal:
    baseline_classes = base.get("per_class", {})  # none for regression
    per_class = {
        name: {**stats, "baseline_recall": baseline_classes.get(name, {}).get("recall")}
        for name, stats in now.get("per_class", {}).items()
    }
    return Signal(
        monitor=MONITOR,
        kind=KIND,
        column=drop.column,
        statistic=drop.statistic,
        value=drop.current,
        threshold=drop.threshold,
        level=Level.ALARM if drop.confirmed else Level.WARNING,
        window_start=window.start,
        window_end=window.end,
        n_rows=int(now["n"]),
        model=model,
        evidence={
            "baseline": drop.baseline,
            "current": drop.current,
            "interval_95": list(drop.interval),
            "p_value": drop.p_value,
            "n": drop.n,
            "n_baseline": drop.n_baseline,
            "n_labelled": int(now["n"]),
            "confirmed": drop.confirmed,
            "pooled_n": drop.pooled_n,
            "pooled_current": drop.pooled_current,
            "pooled_p_value": drop.pooled_p_value,
            "per_class": per_class,
        },
    )


def performance_signals_in(
    session: Session,
    *,
    model: str,
    reference: Reference,
    now: datetime,
    **limits: Unpack[PerformanceLimits],
) -> list[SignalRow]:
    """Score every window with new labels against the baseline; store and return the signal rows."""
    base = reference.performance
    if base is None:
        return []
    min_labels = limits.get("min_labels", 50)
    rows: list[SignalRow] = []
    for window in _windows_with_new_labels(session, model=model, now=now):
        current = realized_performance(
            session, model=model, window_id=window.id, task=base["task"], min_labels=min_labels
        )
        if current is None:
            continue
        drops = performance_drops(
            base,
            current,
            previous=_previous(session, model, window, base["task"], min_labels),
            alpha=limits.get("alpha", 0.001),
            at_once_alpha=limits.get("at_once_alpha", 1e-6),
            min_recall_drop=limits.get("min_recall_drop", 0.1),
            min_accuracy_drop=limits.get("min_accuracy_drop", 0.05),
            min_class_labels=limits.get("min_class_labels", 10),
            min_mae_increase=limits.get("min_mae_increase", 0.2),
        )
        signals = [_signal(model, window, drop, base, current) for drop in drops]
        if signals:
            rows.extend(add_signals(session, signals=signals, window_id=window.id))
    return rows


def _previous(
    session: Session, model: str, window: WindowRow, task: str, min_labels: int
) -> dict[str, Any] | None:
    """Realized performance of the window just before ``window``, if it had enough labels."""
    before = list_windows_before(session, model=model, before=window.start, limit=1)
    if not before:
        return None
    return realized_performance(
        session, model=model, window_id=before[0].id, task=task, min_labels=min_labels
    )


def _windows_with_new_labels(session: Session, *, model: str, now: datetime) -> list[WindowRow]:
    """Windows with labels not scored yet, oldest first; marks those labels scored."""
    # A label whose prediction is still not stored ORPHAN_GRACE after it came is given up on.
    new: dict[str, list[int]] = {}
    orphans = []
    for label in list_unscored_labels(session, model=model):
        if label.window_id is not None:
            new.setdefault(label.window_id, []).append(label.id)
        elif now - label.received_at > ORPHAN_GRACE:
            orphans.append(label.id)
    mark_labels_scored(
        session, label_ids=[i for ids in new.values() for i in ids] + orphans, at=now
    )
    windows = [w for w in (get_window(session, window_id=i) for i in new) if w is not None]
    return sorted(windows, key=lambda w: (w.start, w.id))


def performance_signals(
    session: Session,
    *,
    model: str,
    reference: Reference,
    now: datetime,
    **limits: Unpack[PerformanceLimits],
) -> list[Signal]:
    """Store and return ``performance_drop`` signals of windows labelled since last evaluated."""
    rows = performance_signals_in(session, model=model, reference=reference, now=now, **limits)
    return [row.to_signal() for row in rows]


def check_performance(
    store: Store,
    *,
    model: str,
    reference: Reference,
    plan: ResponsePlan | None = None,
    now: datetime | None = None,
    **limits: Unpack[PerformanceLimits],
) -> PerformanceCheck:
    """Evaluate windows with new labels and triage any drop, in one transaction."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        rows = performance_signals_in(session, model=model, reference=reference, now=at, **limits)
        incident = None
        if rows:
            response = plan if plan is not None else ResponsePlan()
            row = triage_signals_in(session, model=model, rows=rows, now=at, plan=response)
            incident = row.key if row is not None else None
        return PerformanceCheck([r.to_signal() for r in rows], incident)
