"""Reads across tables for the API and metrics: model names, latest windows, counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from redline.store.queries_incidents import OPEN_INCIDENT_STATUSES
from redline.store.tables import ReferenceRow, WindowRow
from redline.store.tables_actions import ActionRow
from redline.store.tables_incidents import IncidentRow
from redline.store.tables_serving import ModelVersionRow, RouteStateRow

__all__ = [
    "count_open_incidents",
    "get_action_by_key",
    "get_latest_window",
    "list_model_names",
    "list_verified_actions",
]


def list_model_names(session: Session) -> list[str]:
    """Every model named by a window, route state, version, reference or incident, sorted."""
    named = union(
        select(WindowRow.model),
        select(RouteStateRow.model),
        select(ModelVersionRow.model),
        select(ReferenceRow.model),
        select(IncidentRow.model),
    ).subquery()
    return sorted(session.scalars(select(named.c.model)))


def get_latest_window(
    session: Session, *, model: str, until: datetime | None = None
) -> WindowRow | None:
    """The window of ``model`` that started last (at or before ``until``), or None."""
    query = select(WindowRow).where(WindowRow.model == model)
    if until is not None:
        query = query.where(WindowRow.start <= until)
    query = query.order_by(WindowRow.start.desc(), WindowRow.id.desc()).limit(1)
    return session.scalars(query).first()


def count_open_incidents(session: Session) -> list[tuple[str, str, int]]:
    """(model, severity, count) of the incidents not yet resolved, closed or dismissed."""
    query = (
        select(IncidentRow.model, IncidentRow.severity, func.count())
        .where(IncidentRow.status.in_([s.value for s in OPEN_INCIDENT_STATUSES]))
        .group_by(IncidentRow.model, IncidentRow.severity)
        .order_by(IncidentRow.model, IncidentRow.severity)
    )
    return [(model, severity, int(n)) for model, severity, n in session.execute(query)]


def list_verified_actions(session: Session, *, limit: int = 100_000) -> list[ActionRow]:
    """Actions that were both applied and verified (whatever came after), oldest first."""
    query = (
        select(ActionRow)
        .where(ActionRow.applied_at.is_not(None), ActionRow.verified_at.is_not(None))
        .order_by(ActionRow.requested_at, ActionRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def get_action_by_key(session: Session, *, idempotency_key: str) -> ActionRow | None:
    """The action requested with this idempotency key, or None."""
    query = select(ActionRow).where(ActionRow.idempotency_key == idempotency_key)
    return session.scalars(query).first()
