"""Response bodies of the REST API (``<Noun>Read``), built from the services' ``to_dict()``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from redline.domain import Route
from redline.services.tokens import Role

__all__ = [
    "DeploymentRead",
    "ErrorRead",
    "HealthRead",
    "ModelRead",
    "ModelVersionRead",
    "ReferenceRead",
    "RouteRead",
    "RouteStateRead",
    "SignalRead",
    "TokenCreatedRead",
    "TokenRead",
    "WindowIngestRead",
    "WindowResultRead",
]


class ErrorRead(BaseModel):
    """Every refused request: what went wrong and how to fix it."""

    detail: str


class HealthRead(BaseModel):
    """The service answers and its store is reachable."""

    status: str
    store_revision: str | None


class RouteStateRead(BaseModel):
    """The routing record Guards obey (newer redlines may add fields)."""

    model_config = ConfigDict(extra="allow")

    model: str
    revision: int
    mode: Route
    model_version: str | None
    fallback_version: str | None
    confidence_threshold: float | None
    review_mode: str
    blocked_sources: list[str]
    input_filters: list[dict[str, Any]]
    shadow_version: str | None
    output_patch: dict[str, Any] | None
    generation_limits: dict[str, Any] | None = None


class RouteRead(BaseModel):
    """One RouteState revision and what it changed."""

    model: str
    revision: int
    state: RouteStateRead
    created_at: datetime | None
    created_by: str | None
    changes: dict[str, Any]
    departures: list[str]
    degraded: bool


class ModelRead(BaseModel):
    """A model: the route it obeys, what serves, its reference and its latest window."""

    name: str
    route: RouteStateRead
    production_version: str | None
    reference_hash: str | None
    last_window_start: datetime | None
    last_window_end: datetime | None
    last_window_rows: int | None
    open_incidents: int
    departures: list[str]
    degraded: bool
    health: list[str]
    healthy: bool


class ReferenceRead(BaseModel):
    """A model's reference: its content hash and body."""

    model: str
    content_hash: str
    reference: dict[str, Any]


class ModelVersionRead(BaseModel):
    """A registered version with its artifact's sha256."""

    model: str
    version: str
    artifact_uri: str
    sha256: str
    training_data_version: str | None
    metrics: dict[str, Any]
    registered_at: datetime
    registered_by: str


class DeploymentRead(BaseModel):
    """One change of the version an alias serves."""

    model: str
    version: str
    previous_version: str | None
    alias: str
    at: datetime
    actor: str
    reason: str
    incident_id: int | None


class WindowResultRead(BaseModel):
    """One window of a batch: stored now (``created``) or already stored before."""

    window_id: str
    created: bool


class WindowIngestRead(BaseModel):
    """What a batch stored."""

    model: str
    created: int
    windows: list[WindowResultRead]


class SignalRead(BaseModel):
    """A stored signal with its evidence (drift: ``top_moves``); non-finite numbers are null."""

    id: int
    monitor: str
    kind: str
    column: str | None
    statistic: str
    value: float | None
    threshold: float | None
    level: str
    window_start: datetime | None
    window_end: datetime | None
    source: str
    status: str
    evidence: dict[str, Any]


class TokenRead(BaseModel):
    """An API token (never its secret)."""

    id: int
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedRead(BaseModel):
    """A new token: the secret is shown here once and never again."""

    token: str
    record: TokenRead
