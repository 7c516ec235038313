"""Served predictions, their labels, and realized-performance evaluation state.

Functions flush; the caller commits. Labels join predictions by (model, request id) whenever
they arrive; the latest label of a request is the one that counts. A label stays unscored
until realized performance has counted it, which is how windows with new labels are found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Insert, Table, and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from redline.store.tables import as_utc
from redline.store.tables_labels import LabelRow, PredictionRow

__all__ = [
    "LabelledPrediction",
    "UnscoredLabel",
    "add_labels",
    "add_predictions",
    "get_prediction",
    "list_labelled_predictions",
    "list_unscored_labels",
    "mark_labels_scored",
]


_CHUNK = 500


class UnscoredLabel(NamedTuple):
    """A label not yet counted by realized performance, and the window it belongs to."""

    id: int
    request_id: str
    received_at: datetime
    window_id: str | None


class LabelledPrediction(NamedTuple):
    """A served prediction with the latest label of its request."""

    request_id: str
    value: Any
    route: str
    label: Any
    window_id: str | None


def add_predictions(
    session: Session,
    *,
    model: str,
    window_id: str | None,
    rows: Sequence[tuple[str, Any, str, datetime]],
) -> int:
    """Store served ``(request_id, value, route, served_at)`` rows in bulk; returns how many new."""
    if not rows:
        return 0
    values = [
        {
            "model": model,
            "request_id": str(request_id),
            "window_id": window_id,
            "value": value,
            "route": str(route),
            "served_at": as_utc(served_at),
        }
        for request_id, value, route, served_at in rows
    ]
    session.flush()  # the window they belong to must be in the database first
    table = cast(Table, PredictionRow.__table__)
    keys = ["model", "request_id"]
    statement: Insert
    if session.connection().dialect.name == "postgresql":
        statement = pg_insert(table).on_conflict_do_nothing(index_elements=keys)
    else:
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)
    return len(session.scalars(statement.returning(table.c.id), values).all())


def get_prediction(session: Session, *, model: str, request_id: str) -> PredictionRow | None:
    """The prediction served for this request of ``model``, or None."""
    query = select(PredictionRow).where(
        PredictionRow.model == model, PredictionRow.request_id == request_id
    )
    return session.scalars(query).first()


def add_labels(
    session: Session,
    *,
    model: str,
    labels: Sequence[tuple[str, Any, datetime]],
    source: str,
) -> list[LabelRow]:
    """Store ``(request_id, label, received_at)`` labels from ``source`` (feedback or review)."""
    rows = [
        LabelRow(
            model=model, request_id=str(request_id), label=label, source=source, received_at=at
        )
        for request_id, label, at in labels
    ]
    session.add_all(rows)
    session.flush()
    return rows


def list_labelled_predictions(
    session: Session,
    *,
    model: str,
    window_id: str | None = None,
    since: datetime | None = None,
) -> list[LabelledPrediction]:
    """Labelled predictions of ``model`` (one window, served since), each with its latest label."""
    newest_first = (LabelRow.received_at.desc(), LabelRow.id.desc())
    # Join first, then rank the labels of each request: the planner needs no statistics for it.
    ranked = (
        select(
            PredictionRow.request_id,
            PredictionRow.value,
            PredictionRow.route,
            LabelRow.label,
            PredictionRow.window_id,
            PredictionRow.served_at,
            PredictionRow.id,
            func.row_number()
            .over(partition_by=PredictionRow.id, order_by=newest_first)
            .label("rank"),
        )
        .join(
            LabelRow,
            and_(
                LabelRow.model == PredictionRow.model,
                LabelRow.request_id == PredictionRow.request_id,
            ),
        )
        .where(PredictionRow.model == model)
    )
    if window_id is not None:
        ranked = ranked.where(PredictionRow.window_id == window_id)
    if since is not None:
        ranked = ranked.where(PredictionRow.served_at >= since)
    latest = ranked.subquery()
    query = (
        select(
            latest.c.request_id, latest.c.value, latest.c.route, latest.c.label, latest.c.window_id
        )
        .where(latest.c.rank == 1)
        .order_by(latest.c.served_at, latest.c.id)
    )
    return [LabelledPrediction(*row) for row in session.execute(query)]


def list_unscored_labels(
    session: Session, *, model: str, limit: int = 50_000
) -> list[UnscoredLabel]:
    """Labels realized performance has not counted yet, oldest first, with their window if any."""
    query = (
        select(LabelRow.id, LabelRow.request_id, LabelRow.received_at)
        .where(LabelRow.model == model, LabelRow.scored_at.is_(None))
        .order_by(LabelRow.id)
        .limit(limit)
    )
    labels = session.execute(query).all()
    # Looked up by request id in chunks rather than joined: index lookups whatever the planner
    # believes about table sizes (fresh tables have no statistics).
    windows: dict[str, str] = {}
    request_ids = sorted({request_id for _, request_id, _ in labels})
    for start in range(0, len(request_ids), _CHUNK):
        lookup = select(PredictionRow.request_id, PredictionRow.window_id).where(
            PredictionRow.model == model,
            PredictionRow.request_id.in_(request_ids[start : start + _CHUNK]),
            PredictionRow.window_id.is_not(None),
        )
        windows.update((r, w) for r, w in session.execute(lookup) if w is not None)
    return [UnscoredLabel(i, r, at, windows.get(r)) for i, r, at in labels]


def mark_labels_scored(session: Session, *, label_ids: Sequence[int], at: datetime) -> int:
    """Record that realized performance counted these labels at ``at``; returns how many."""
    table = cast(Table, LabelRow.__table__)
    ids, done = sorted(set(label_ids)), 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        statement = update(table).where(table.c.id.in_(chunk)).values(scored_at=as_utc(at))
        done += session.connection().execute(statement).rowcount
    return done
