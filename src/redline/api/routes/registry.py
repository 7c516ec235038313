"""Model versions (artifacts with their sha256) and deployments of one model."""

from __future__ import annotations

from fastapi import APIRouter, status

from redline.api.auth import Admin, Viewer, actor_of
from redline.api.context import ContextDep, StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import ModelPath
from redline.api.schemas import DeploymentCreate, ModelVersionCreate
from redline.api.schemas_read import DeploymentRead, ModelVersionRead
from redline.services.records import register_checked
from redline.services.registry import deploy, list_deployments, list_versions

__all__ = ["router"]

router = APIRouter(tags=["registry"], responses=ERROR_RESPONSES)


@router.get("/models/{model}/versions", response_model=list[ModelVersionRead])
def list_versions_route(model: ModelPath, store: StoreDep, _: Viewer) -> list[ModelVersionRead]:
    """Registered versions of the model, oldest first."""
    return [ModelVersionRead.model_validate(v.to_dict()) for v in list_versions(store, model)]


@router.post(
    "/models/{model}/versions",
    response_model=ModelVersionRead,
    status_code=status.HTTP_201_CREATED,
)
def register_version_route(
    model: ModelPath, body: ModelVersionCreate, store: StoreDep, token: Admin
) -> ModelVersionRead:
    """Register an artifact on the server (checked against ``sha256`` when given)."""
    version = register_checked(
        store,
        model=model,
        version=body.version,
        artifact=body.artifact,
        sha256=body.sha256,
        training_data_version=body.training_data_version,
        metrics=body.metrics,
        actor=actor_of(token),
    )
    return ModelVersionRead.model_validate(version.to_dict())


@router.get("/models/{model}/deployments", response_model=list[DeploymentRead])
def list_deployments_route(model: ModelPath, store: StoreDep, _: Viewer) -> list[DeploymentRead]:
    """Every change of the version the model serves, oldest first."""
    return [DeploymentRead.model_validate(d.to_dict()) for d in list_deployments(store, model)]


@router.post(
    "/models/{model}/deployments",
    response_model=DeploymentRead,
    status_code=status.HTTP_201_CREATED,
)
def deploy_route(
    model: ModelPath, body: DeploymentCreate, context: ContextDep, token: Admin
) -> DeploymentRead:
    """Make an alias serve a registered version (a route revision Guards obey)."""
    row = deploy(
        context.store,
        model=model,
        version=body.version,
        actor=actor_of(token),
        reason=body.reason,
        alias=body.alias,
        incident_key=body.incident,
    )
    context.routes.notify()
    return DeploymentRead.model_validate(row.to_dict())
