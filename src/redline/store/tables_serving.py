"""What serves: RouteState revisions, registered model versions and the deployment history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from redline.store.tables import Base, JSONDict, UTCDateTime, _validate_utc, utcnow

__all__ = ["DeploymentRow", "ModelVersionRow", "RouteStateRow"]


class RouteStateRow(Base):
    """One revision of a model's RouteState; the primary key makes revisions race-free."""

    __tablename__ = "route_states"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    _utc = validates("created_at")(_validate_utc)


class ModelVersionRow(Base):
    """A registered model version: its artifact, checksum and training data."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    artifact_uri: Mapped[str] = mapped_column(String(2000))
    sha256: Mapped[str] = mapped_column(String(64))
    training_data_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    registered_by: Mapped[str] = mapped_column(String(200))

    _utc = validates("registered_at")(_validate_utc)


class DeploymentRow(Base):
    """An append-only record of one change of the version an alias serves."""

    __tablename__ = "deployments"
    __table_args__ = (Index("ix_deployments_model_alias_at", "model", "alias", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200))
    previous_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    alias: Mapped[str] = mapped_column(String(64), default="production")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("incidents.id"), nullable=True, index=True
    )

    _utc = validates("at")(_validate_utc)
