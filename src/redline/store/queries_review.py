"""The review queue and snoozes. Functions flush; the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from redline.store.queries import _save_row
from redline.store.tables_labels import REVIEW_STATUSES, ReviewItemRow, SnoozeRow

__all__ = [
    "ReviewItemChanges",
    "add_review_item",
    "add_snooze",
    "count_review_items",
    "get_review_item",
    "list_active_snoozes",
    "list_review_items",
    "list_snoozes",
    "save_review_item",
]


class ReviewItemChanges(TypedDict, total=False):
    """What ``save_review_item`` may change once someone decides."""

    status: str
    decision: str | None
    final_output: Any
    reviewer: str | None
    decided_at: datetime | None
    incident_id: int | None


def add_review_item(
    session: Session,
    *,
    model: str,
    request_id: str,
    reason: str,
    input: Any,
    output: Any,
    confidence: float | None = None,
    threshold: float | None = None,
    incident_id: int | None = None,
    created_at: datetime | None = None,
) -> ReviewItemRow:
    """Queue one prediction for people to review (status pending)."""
    row = ReviewItemRow(
        model=model,
        request_id=request_id,
        reason=reason,
        input=input,
        output=output,
        confidence=confidence,
        threshold=threshold,
        incident_id=incident_id,
        status="pending",
    )
    if created_at is not None:
        row.created_at = created_at
    session.add(row)
    session.flush()
    return row


def get_review_item(session: Session, *, item_id: int, lock: bool = False) -> ReviewItemRow | None:
    """The review item with this id; ``lock`` holds off other deciders until commit."""
    query = select(ReviewItemRow).where(ReviewItemRow.id == item_id)
    if lock:
        query = query.with_for_update()  # PostgreSQL; SQLite's write lock serialises anyway
    return session.scalars(query).first()


def _review_filter(
    query: Select[Any], *, status: str | None, model: str | None, incident_id: int | None
) -> Select[Any]:
    if status is not None:
        if status not in REVIEW_STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(REVIEW_STATUSES)}")
        query = query.where(ReviewItemRow.status == status)
    if model is not None:
        query = query.where(ReviewItemRow.model == model)
    if incident_id is not None:
        query = query.where(ReviewItemRow.incident_id == incident_id)
    return query


def list_review_items(
    session: Session,
    *,
    status: str | None = None,
    model: str | None = None,
    incident_id: int | None = None,
    limit: int = 100,
) -> list[ReviewItemRow]:
    """Review items matching every filter given, oldest first (the order to work them)."""
    query = _review_filter(
        select(ReviewItemRow), status=status, model=model, incident_id=incident_id
    )
    query = query.order_by(ReviewItemRow.created_at, ReviewItemRow.id).limit(limit)
    return list(session.scalars(query))


def count_review_items(
    session: Session,
    *,
    status: str | None = None,
    model: str | None = None,
    incident_id: int | None = None,
) -> int:
    """How many review items match every filter given (no limit)."""
    query = _review_filter(
        select(func.count()).select_from(ReviewItemRow),
        status=status,
        model=model,
        incident_id=incident_id,
    )
    return int(session.scalar(query) or 0)


def save_review_item(
    session: Session, *, item_id: int, **changes: Unpack[ReviewItemChanges]
) -> ReviewItemRow:
    """Update the given fields of a review item."""
    fields = ReviewItemChanges.__required_keys__ | ReviewItemChanges.__optional_keys__
    return _save_row(session, ReviewItemRow, item_id, changes, fields)


def add_snooze(
    session: Session,
    *,
    fingerprint_pattern: str,
    until: datetime,
    reason: str,
    created_by: str,
    created_at: datetime | None = None,
) -> SnoozeRow:
    """Store a snooze of signals whose fingerprint matches the pattern, until ``until``."""
    row = SnoozeRow(
        fingerprint_pattern=fingerprint_pattern,
        until=until,
        reason=reason,
        created_by=created_by,
    )
    if created_at is not None:
        row.created_at = created_at
    session.add(row)
    session.flush()
    return row


def list_active_snoozes(session: Session, *, now: datetime) -> list[SnoozeRow]:
    """Snoozes that have not expired at ``now``, ending soonest first."""
    query = select(SnoozeRow).where(SnoozeRow.until > now)
    return list(session.scalars(query.order_by(SnoozeRow.until, SnoozeRow.id)))


def list_snoozes(session: Session, *, limit: int = 100) -> list[SnoozeRow]:
    """Every snooze, expired ones too, newest first."""
    query = select(SnoozeRow).order_by(SnoozeRow.created_at.desc(), SnoozeRow.id.desc())
    return list(session.scalars(query.limit(limit)))
