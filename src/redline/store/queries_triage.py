"""Triage reports (append-only: the newest one of an incident is the one that counts) and the
served predictions of a time range, for data blame."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from redline.store.tables import WindowRow, as_utc
from redline.store.tables_forensics import TriageReportRow
from redline.store.tables_labels import PredictionRow

__all__ = [
    "add_triage_report",
    "count_predictions",
    "get_latest_triage_report",
    "list_predictions",
    "list_triage_reports",
    "list_windows_before",
]


def add_triage_report(
    session: Session,
    *,
    incident_id: int,
    window_id: str | None,
    likely_cause: str,
    confidence: float,
    report: dict[str, Any],
    created_at: datetime | None = None,
) -> TriageReportRow:
    """Append a triage report to an incident; an earlier one is superseded, never changed."""
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"a triage confidence lies in [0, 1], not {confidence!r}")
    row = TriageReportRow(
        incident_id=incident_id,
        window_id=window_id,
        likely_cause=likely_cause,
        confidence=float(confidence),
        report=report,
    )
    if created_at is not None:
        row.created_at = as_utc(created_at)
    session.add(row)
    session.flush()
    return row


def get_latest_triage_report(session: Session, *, incident_id: int) -> TriageReportRow | None:
    """The newest triage report of an incident, or None."""
    query = (
        select(TriageReportRow)
        .where(TriageReportRow.incident_id == incident_id)
        .order_by(TriageReportRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def list_triage_reports(session: Session, *, incident_id: int) -> list[TriageReportRow]:
    """Every triage report of an incident, oldest first."""
    query = (
        select(TriageReportRow)
        .where(TriageReportRow.incident_id == incident_id)
        .order_by(TriageReportRow.id)
    )
    return list(session.scalars(query))


def _served_between(model: str, start: datetime, end: datetime, route: str | None) -> Any:
    query = select(PredictionRow).where(
        PredictionRow.model == model,
        PredictionRow.served_at >= as_utc(start),
        PredictionRow.served_at <= as_utc(end),
    )
    return query if route is None else query.where(PredictionRow.route == route)


def count_predictions(
    session: Session, *, model: str, start: datetime, end: datetime, route: str | None = None
) -> int:
    """How many predictions ``model`` served from ``start`` to ``end`` (inclusive) on ``route``."""
    inner = _served_between(model, start, end, route).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def list_predictions(
    session: Session,
    *,
    model: str,
    start: datetime,
    end: datetime,
    route: str | None = None,
    limit: int = 1_000_000,
) -> list[PredictionRow]:
    """Predictions ``model`` served from ``start`` to ``end`` on ``route``, oldest first."""
    query = _served_between(model, start, end, route)
    query = query.order_by(PredictionRow.served_at, PredictionRow.id).limit(limit)
    return list(session.scalars(query))


def list_windows_before(
    session: Session, *, model: str, before: datetime, limit: int = 24
) -> list[WindowRow]:
    """The ``limit`` windows of ``model`` starting before ``before``, oldest first."""
    query = (
        select(WindowRow)
        .where(WindowRow.model == model, WindowRow.start < as_utc(before))
        .order_by(WindowRow.start.desc(), WindowRow.id.desc())
        .limit(limit)
    )
    return list(reversed(list(session.scalars(query))))
