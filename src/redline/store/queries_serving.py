"""RouteState revisions, model versions and deployments. Functions flush; the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redline.errors import StoreError
from redline.store.conflicts import StaleRevisionError
from redline.store.queries import _add_once
from redline.store.route_listener import ROUTE_CHANNEL
from redline.store.tables_serving import DeploymentRow, ModelVersionRow, RouteStateRow

__all__ = [
    "add_deployment",
    "add_model_version",
    "add_route_state",
    "get_current_deployment",
    "get_model_version",
    "get_route_state",
    "list_deployments",
    "list_model_versions",
    "list_route_states",
]


def add_route_state(
    session: Session,
    *,
    model: str,
    revision: int,
    state: dict[str, Any],
    created_by: str,
    created_at: datetime | None = None,
) -> RouteStateRow:
    """Store the next RouteState of ``model``: ``revision`` must be the latest plus one."""
    latest = session.scalar(
        select(func.max(RouteStateRow.revision)).where(RouteStateRow.model == model)
    )
    expected = (latest or 0) + 1
    if revision != expected:
        raise StaleRevisionError(
            f"route state of model {model!r} is at revision {latest or 0}, so the next one is "
            f"{expected}, not {revision}; re-read the route state and apply the change to it"
        )
    row = RouteStateRow(model=model, revision=revision, state=state, created_by=created_by)
    if created_at is not None:  # the caller's clock (a Guard's, a simulation's)
        row.created_at = created_at
    try:
        # The primary key (model, revision) decides between concurrent writers.
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise StaleRevisionError(
            f"route state {revision} of model {model!r} was written by another writer; "
            "re-read the route state and apply the change to it"
        ) from exc
    if session.connection().dialect.name == "postgresql":
        # Delivered on commit, so every listener (route_listener) reads the new revision.
        session.execute(select(func.pg_notify(ROUTE_CHANNEL, model)))
    return row


def get_route_state(session: Session, *, model: str) -> RouteStateRow | None:
    """The latest RouteState revision of ``model``, or None."""
    query = (
        select(RouteStateRow)
        .where(RouteStateRow.model == model)
        .order_by(RouteStateRow.revision.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def list_route_states(
    session: Session, *, model: str, since_revision: int | None = None
) -> list[RouteStateRow]:
    """RouteState revisions of ``model`` after ``since_revision``, oldest first."""
    query = select(RouteStateRow).where(RouteStateRow.model == model)
    if since_revision is not None:
        query = query.where(RouteStateRow.revision > since_revision)
    return list(session.scalars(query.order_by(RouteStateRow.revision)))


def add_model_version(
    session: Session,
    *,
    model: str,
    version: str,
    artifact_uri: str,
    sha256: str,
    registered_by: str,
    training_data_version: str | None = None,
    metrics: dict[str, Any] | None = None,
    registered_at: datetime | None = None,
) -> ModelVersionRow:
    """Register a model version; registering it again with the same sha256 is a no-op."""
    row = ModelVersionRow(
        model=model,
        version=version,
        artifact_uri=artifact_uri,
        sha256=sha256,
        registered_by=registered_by,
        training_data_version=training_data_version,
        metrics=dict(metrics or {}),
    )
    if registered_at is not None:  # the caller's clock (a simulation's)
        row.registered_at = registered_at
    stored, _ = _add_once(
        session, row, lambda: get_model_version(session, model=model, version=version)
    )
    if stored.sha256 != sha256:
        raise StoreError(
            f"model {model!r} version {version!r} is registered with sha256 {stored.sha256}, "
            f"not {sha256}; a changed artifact needs a new version"
        )
    return stored


def get_model_version(session: Session, *, model: str, version: str) -> ModelVersionRow | None:
    """The registered version of ``model``, or None."""
    query = select(ModelVersionRow).where(
        ModelVersionRow.model == model, ModelVersionRow.version == version
    )
    return session.scalars(query).first()


def list_model_versions(session: Session, *, model: str) -> list[ModelVersionRow]:
    """Registered versions of ``model``, oldest first."""
    query = (
        select(ModelVersionRow)
        .where(ModelVersionRow.model == model)
        .order_by(ModelVersionRow.registered_at, ModelVersionRow.id)
    )
    return list(session.scalars(query))


def add_deployment(
    session: Session,
    *,
    model: str,
    version: str,
    at: datetime,
    actor: str,
    reason: str,
    alias: str = "production",
    incident_id: int | None = None,
) -> DeploymentRow:
    """Record that ``alias`` of ``model`` now serves ``version``; the previous one is kept."""
    current = get_current_deployment(session, model=model, alias=alias)
    row = DeploymentRow(
        model=model,
        version=version,
        previous_version=None if current is None else current.version,
        alias=alias,
        at=at,
        actor=actor,
        reason=reason,
        incident_id=incident_id,
    )
    session.add(row)
    session.flush()
    return row


def list_deployments(
    session: Session, *, model: str, alias: str | None = None, limit: int = 1000
) -> list[DeploymentRow]:
    """The deployment history of ``model`` (one alias or all), oldest first."""
    query = select(DeploymentRow).where(DeploymentRow.model == model)
    if alias is not None:
        query = query.where(DeploymentRow.alias == alias)
    query = query.order_by(DeploymentRow.at, DeploymentRow.id).limit(limit)
    return list(session.scalars(query))


def get_current_deployment(
    session: Session, *, model: str, alias: str = "production"
) -> DeploymentRow | None:
    """The latest deployment of ``alias`` of ``model``, or None if it never had one."""
    query = (
        select(DeploymentRow)
        .where(DeploymentRow.model == model, DeploymentRow.alias == alias)
        .order_by(DeploymentRow.at.desc(), DeploymentRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
