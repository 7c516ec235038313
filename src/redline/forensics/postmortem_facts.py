"""Everything stored about one incident, read once: what post-mortems and exports are built from."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import pairwise
from typing import Any

from redline.domain.timeline import verify_chain
from redline.forensics.backtest_series import SeriesPoint, read_series
from redline.store import (
    IncidentRow,
    Session,
    count_predictions,
    get_latest_reference,
    get_latest_triage_report,
    list_actions,
    list_deployments,
    list_incident_signals,
    list_incidents,
    list_labelled_predictions,
    list_review_items,
    list_snapshots,
    list_timeline,
)

__all__ = ["DRIFT_KINDS", "IncidentRecord", "collect_incident"]

#: Signal kinds whose windows carry a distribution statistic that can be replayed.
DRIFT_KINDS = frozenset({"feature_drift", "prediction_drift"})
#: Windows before the impact window shown and replayed with it.
LOOKBACK_WINDOWS = 6
_DEFAULT_WINDOW_S = 60.0


@dataclass(frozen=True)
class IncidentRecord:
    """One incident and what the store holds about it, as plain values."""

    incident: IncidentRow
    signals: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    chain_intact: bool
    snapshots: list[dict[str, Any]]
    triage: dict[str, Any] | None
    deployments: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    impact_start: datetime
    impact_end: datetime
    decisions_served: int
    decisions_primary: int
    labelled_rows: int
    column: str | None = None
    series: list[SeriesPoint] = field(default_factory=list)
    quiet: list[SeriesPoint] = field(default_factory=list)
    window_s: float = _DEFAULT_WINDOW_S
    series_note: str = ""  # why there is no series, when there is none

    @property
    def key(self) -> str:
        """The incident key."""
        return self.incident.key

    @property
    def impact_windows(self) -> list[SeriesPoint]:
        """The replayed windows inside the impact window."""
        return [p for p in self.series if self.impact_start <= p.start <= self.impact_end]


def _signal(row: Any) -> dict[str, Any]:
    # Every statistic and per-class table stays in the signal; the post-mortem keeps the rest.
    left_out = ("statistics", "per_class")
    return {
        "id": row.id,
        "kind": row.kind,
        "monitor": row.monitor,
        "source": row.source,
        "column": row.column,
        "statistic": row.statistic,
        "value": row.value,
        "threshold": row.threshold,
        "level": row.level,
        "window_start": row.window_start,
        "window_end": row.window_end,
        "n_rows": row.n_rows,
        "created_at": row.created_at,
        "evidence": {k: v for k, v in (row.evidence or {}).items() if k not in left_out},
    }


def _action(row: Any) -> dict[str, Any]:
    names = ("id", "type", "status", "trigger", "params", "verification", "snapshot_id", "error")
    times = ("requested_at", "applied_at", "verified_at", "failed_at", "reverted_at")
    return {name: getattr(row, name) for name in (*names, *times)}


def _impact(incident: IncidentRow, signals: Sequence[dict[str, Any]]) -> tuple[datetime, datetime]:
    starts = [s["window_start"] or s["created_at"] for s in signals]
    start = min(starts, default=incident.first_signal_at or incident.detected_at)
    end_candidates = (incident.contained_at, incident.resolved_at, incident.last_signal_at)
    end = next((t for t in end_candidates if t is not None), incident.detected_at)
    return start, max(start, end)


def _strongest_column(signals: Sequence[dict[str, Any]]) -> str | None:
    drift = [s for s in signals if s["kind"] in DRIFT_KINDS and s["column"] and s["threshold"]]
    best = max(drift, key=lambda s: s["value"] / s["threshold"], default=None)
    return None if best is None else str(best["column"])


def _spans(session: Session, incident: IncidentRow) -> list[tuple[datetime, datetime]]:
    spans = []
    for row in list_incidents(session, model=incident.model, limit=1000):
        start = row.first_signal_at or row.detected_at
        end = row.resolved_at or row.last_signal_at or row.updated_at
        spans.append((start, max(start, end)))
    return spans


def _split_series(
    points: Sequence[SeriesPoint],
    start: datetime,
    end: datetime,
    spans: Sequence[tuple[datetime, datetime]],
) -> tuple[list[SeriesPoint], list[SeriesPoint]]:
    first = next((i for i, p in enumerate(points) if p.end >= start), len(points))
    lo = max(0, first - LOOKBACK_WINDOWS)
    incident = [p for p in points[lo:] if p.start <= end]
    taken = {p.window_id for p in incident}
    quiet = [
        p
        for p in points
        if p.window_id not in taken and not any(a <= p.end and p.start <= b for a, b in spans)
    ]
    return incident, quiet


def _window_s(points: Sequence[SeriesPoint]) -> float:
    gaps = [(b.start - a.start).total_seconds() for a, b in pairwise(points)]
    gaps = [g for g in gaps if g > 0]
    return float(statistics.median(gaps)) if gaps else _DEFAULT_WINDOW_S


def _series_note(session: Session, model: str, column: str | None) -> str:
    if column is None:
        return "no drift signal names a column, so there is no window statistic to replay"
    if get_latest_reference(session, model=model) is None:
        return (
            f"the reference of `{model}` is not in the store (`PUT /api/v1/models/{model}/reference`"
            " stores it), so its windows cannot be judged again"
        )
    return f"no stored window of `{model}` was profiled on its stored reference with `{column}`"


def _timeline(session: Session, incident: IncidentRow) -> tuple[list[dict[str, Any]], bool]:
    """The timeline as dicts, and whether its hash chain is intact."""
    events = list_timeline(session, incident_id=incident.id)
    names = ("seq", "at", "actor", "kind", "details", "hash")
    timeline = [{name: getattr(e, name) for name in names} for e in events]
    chain = [
        ({"at": e.at, "actor": e.actor, "kind": e.kind, "details": e.details}, e.hash)
        for e in events
    ]
    return timeline, verify_chain(chain) is None


def _evidence(session: Session, incident: IncidentRow) -> dict[str, Any]:
    """Snapshots, the latest triage report, deployments and review items."""
    triage = get_latest_triage_report(session, incident_id=incident.id)
    return {
        "snapshots": [
            {"id": s.id, "reason": s.reason, "taken_at": s.taken_at, "model": s.model}
            for s in list_snapshots(session, incident_id=incident.id)
        ],
        "triage": None
        if triage is None
        else {
            "likely_cause": triage.likely_cause,
            "confidence": triage.confidence,
            "report": triage.report,
            "created_at": triage.created_at,
        },
        "deployments": [
            {
                "version": d.version,
                "previous_version": d.previous_version,
                "at": d.at,
                "reason": d.reason,
            }
            for d in list_deployments(session, model=incident.model)
        ],
        "reviews": [
            {"decision": r.decision, "status": r.status, "reason": r.reason}
            for r in list_review_items(session, incident_id=incident.id, limit=100_000)
        ],
    }


def collect_incident(session: Session, *, incident: IncidentRow) -> IncidentRecord:
    """Read the incident's signals, actions, timeline, evidence and window series."""
    signals = [_signal(s) for s in list_incident_signals(session, incident_id=incident.id)]
    timeline, intact = _timeline(session, incident)
    start, end = _impact(incident, signals)
    column = _strongest_column(signals)
    points = read_series(session, model=incident.model, column=column) if column else []
    note = _series_note(session, incident.model, column) if not points else ""
    series, quiet = _split_series(points, start, end, _spans(session, incident))
    served = partial(count_predictions, session, model=incident.model, start=start, end=end)
    return IncidentRecord(
        incident=incident,
        signals=signals,
        actions=[_action(a) for a in list_actions(session, incident_id=incident.id)],
        timeline=timeline,
        chain_intact=intact,
        **_evidence(session, incident),
        impact_start=start,
        impact_end=end,
        decisions_served=served(),
        decisions_primary=served(route="primary"),
        labelled_rows=len(list_labelled_predictions(session, model=incident.model, since=start)),
        column=column,
        series=series,
        quiet=quiet,
        window_s=_window_s(points),
        series_note=note,
    )
