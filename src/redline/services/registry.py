"""The model registry: versions with checksummed artifacts, deployments, the serving history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from redline.errors import RedlineError
from redline.services.artifacts import Predictor, describe_artifact, load_artifact
from redline.services.chains import record_audit, record_event
from redline.services.routes import change_route
from redline.services.snapshots import snapshot_once_in
from redline.store import (
    DeploymentRow,
    ModelVersionRow,
    Session,
    Store,
    add_deployment,
    add_model_version,
    get_current_deployment,
    get_incident,
    get_model_version,
    list_model_versions,
)
from redline.store import list_deployments as _deployment_rows

__all__ = [
    "ALIAS_ROUTE_FIELDS",
    "Deployment",
    "ModelVersion",
    "RegistryError",
    "current_version",
    "deploy",
    "list_deployments",
    "list_versions",
    "load_version",
    "record_deployment_in",
    "register_version",
]

#: The RouteState field each alias drives; other aliases (e.g. "staging") are history only.
ALIAS_ROUTE_FIELDS: dict[str, str] = {
    "production": "model_version",
    "shadow": "shadow_version",
    "fallback": "fallback_version",
}


class RegistryError(RedlineError):
    """A registry request names an unknown version or incident, or changes nothing."""


@dataclass(frozen=True)
class _Record:
    """A frozen copy of a stored row."""

    @classmethod
    def of(cls, row: object) -> Self:
        """The copy of ``row``."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        items = asdict(self).items()
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in items}


@dataclass(frozen=True)
class ModelVersion(_Record):
    """A registered version: where its artifact is, its checksum, what it was trained on."""

    model: str
    version: str
    artifact_uri: str
    sha256: str
    training_data_version: str | None
    metrics: dict[str, Any]
    registered_at: datetime
    registered_by: str


@dataclass(frozen=True)
class Deployment(_Record):
    """One change of the version an alias serves: who, when, why, replacing what."""

    model: str
    version: str
    previous_version: str | None
    alias: str
    at: datetime
    actor: str
    reason: str
    incident_id: int | None


def _registered(session: Session, model: str, version: str) -> ModelVersionRow:
    row = get_model_version(session, model=model, version=version)
    if row is None:
        known = ", ".join(r.version for r in list_model_versions(session, model=model))
        raise RegistryError(
            f"model {model!r} has no registered version {version!r} "
            f"(registered: {known or 'none'}); register it first with "
            f"'redline models register {model} {version} ARTIFACT'"
        )
    return row


def _record(session: Session, kind: str, at: datetime, details: dict[str, Any]) -> None:
    actor, incident_id = details["actor"], details.get("incident_id")
    target = f"model:{details['model']}"
    common = {"at": at, "actor": actor, "details": details}
    record_audit(session, action=kind, target=target, **common)
    if incident_id is not None:
        record_event(session, incident_id=incident_id, kind=kind, **common)


def register_version(
    store: Store,
    *,
    model: str,
    version: str,
    artifact: str | Path,
    training_data_version: str | None = None,
    metrics: Mapping[str, Any] | None = None,
    actor: str,
    now: datetime | None = None,
) -> ModelVersion:
    """Register ``artifact`` (a file, or a ``module:function`` reference) as ``version``."""
    if not version.strip():
        raise RegistryError("a model version needs a non-empty name")
    uri, digest = describe_artifact(artifact)
    at = now or datetime.now(UTC)
    with store.session() as session:
        known = get_model_version(session, model=model, version=version) is not None
        row = add_model_version(
            session,
            model=model,
            version=version,
            artifact_uri=uri,
            sha256=digest,
            registered_by=actor,
            training_data_version=training_data_version,
            metrics=dict(metrics or {}),
            registered_at=at,
        )
        if not known:
            details = {"model": model, "version": version, "sha256": digest, "actor": actor}
            _record(session, "model_version_registered", at, details)
        return ModelVersion.of(row)


def list_versions(store: Store, model: str) -> list[ModelVersion]:
    """Registered versions of ``model``, oldest first."""
    with store.reading() as session:
        return [ModelVersion.of(r) for r in list_model_versions(session, model=model)]


def current_version(store: Store, model: str, alias: str = "production") -> str | None:
    """The version ``alias`` of ``model`` serves according to the deployment history, or None."""
    with store.reading() as session:
        row = get_current_deployment(session, model=model, alias=alias)
        return None if row is None else row.version


def list_deployments(store: Store, model: str, alias: str | None = None) -> list[Deployment]:
    """The deployment history of ``model`` (one alias or all), oldest first."""
    with store.reading() as session:
        return [Deployment.of(r) for r in _deployment_rows(session, model=model, alias=alias)]


def _append(
    session: Session, model: str, version: str, at: datetime, *row: Any, alias: str = "production"
) -> DeploymentRow:
    current = get_current_deployment(session, model=model, alias=alias)
    # The history is ordered by time: a clock behind the last deployment must not reorder it.
    at = max(at, current.at) if current is not None else at
    actor, reason, incident_id = row
    return add_deployment(
        session,
        model=model,
        version=version,
        alias=alias,
        at=at,
        actor=actor,
        reason=reason,
        incident_id=incident_id,
    )


def deploy(
    store: Store,
    *,
    model: str,
    version: str,
    actor: str,
    reason: str,
    alias: str = "production",
    incident_key: str | None = None,
    now: datetime | None = None,
) -> Deployment:
    """Make ``alias`` of ``model`` serve a registered ``version`` (history row + route revision)."""
    if not reason.strip():
        raise RegistryError("a deployment needs a reason (who asked for it, and why)")
    at = now or datetime.now(UTC)
    with store.session() as session:
        _registered(session, model, version)
        current = get_current_deployment(session, model=model, alias=alias)
        if current is not None and current.version == version:
            raise RegistryError(f"{alias} of model {model!r} already serves {version!r}")
        incident = None if incident_key is None else get_incident(session, key=incident_key)
        if incident_key is not None and incident is None:
            raise RegistryError(f"no incident {incident_key!r}")
        incident_id = None
        if incident is not None:  # evidence before change, as for any action on an incident
            snapshot_once_in(session, incident=incident, reason="before_action", now=at)
            incident_id = incident.id
        row = _append(session, model, version, at, actor, reason, incident_id, alias=alias)
        details = Deployment.of(row).to_dict()
        if field := ALIAS_ROUTE_FIELDS.get(alias):
            changes: dict[str, Any] = {field: version}
            _, after = change_route(session, model=model, actor=actor, at=at, **changes)
            details["revision"] = after.revision
        _record(session, "model_deployed", at, details)
        return Deployment.of(row)


def record_deployment_in(
    session: Session,
    *,
    model: str,
    version: str,
    actor: str,
    reason: str,
    at: datetime,
    incident_id: int | None = None,
) -> Deployment:
    """Append a deployment row inside the caller's transaction (rollbacks and their reverts)."""
    return Deployment.of(_append(session, model, version, at, actor, reason, incident_id))


def load_version(store: Store, *, model: str, version: str, trust: bool = False) -> Predictor:
    """Load a registered version's artifact after checking its sha256."""
    with store.reading() as session:
        row = _registered(session, model, version)
        uri, digest = row.artifact_uri, row.sha256
    return load_artifact(uri, sha256=digest, trust=trust)
