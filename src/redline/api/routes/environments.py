"""``PUT /models/{model}/environment``: a Guard reports the environment its model runs in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field, StringConstraints

from redline.api.auth import Responder, Viewer, actor_of
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import ModelPath
from redline.api.schemas import Body, Name, Part
from redline.services.environments import (
    EnvironmentView,
    list_environments,
    record_environment,
)

__all__ = ["EnvironmentCreate", "EnvironmentRead", "FingerprintCreate", "router"]

router = APIRouter(tags=["environments"], responses=ERROR_RESPONSES)

Short = Annotated[str, StringConstraints(max_length=1_000)]
Scalar = Short | int | float | bool | None
Fields = Annotated[dict[Name, Scalar], Field(max_length=50)]
#: GPU and git sections nest one level (torch's build, nvidia-smi's GPUs).
Nested = Annotated[
    dict[Name, Scalar | dict[Name, Any] | list[dict[Name, Scalar]]], Field(max_length=50)
]


class FingerprintCreate(Part):
    """Python, installed distributions, OS, CPU, host, GPU (CUDA, driver), git commit and the
    environment variables' names."""

    python: Fields
    distributions: Annotated[
        dict[Name, Annotated[str, StringConstraints(max_length=200)]], Field(max_length=20_000)
    ]
    os: Fields
    cpu: Fields
    host: Fields = Field(default_factory=dict)
    gpu: Nested = Field(default_factory=dict)
    git: Nested = Field(default_factory=dict)
    variables: Annotated[dict[Name, Short], Field(max_length=2_000)] = Field(
        default_factory=dict,
        description="The process's environment variable names, values redacted (a few kept).",
    )


class EnvironmentCreate(Body):
    """One Guard instance's fingerprint of the process serving the model."""

    instance: Name = Field(description="Which Guard process sends it (host and pid, say).")
    fingerprint: FingerprintCreate


class EnvironmentRead(BaseModel):
    """A stored fingerprint: whose, its sha256 and when it was received."""

    model: str
    instance: str
    sha256: str
    received_at: datetime
    fingerprint: dict[str, Any]


def _read(view: EnvironmentView) -> EnvironmentRead:
    return EnvironmentRead.model_validate(view.to_dict())


@router.put(
    "/models/{model}/environment",
    response_model=EnvironmentRead,
    status_code=status.HTTP_200_OK,
    description=(
        "A Guard's environment fingerprint, sent once at start by each Guard instance (same "
        "token role as window ingest). The latest per model and instance is kept; snapshots "
        "of the model's incidents record the most recently received one as the environment "
        "the model ran in. An unknown model is a 404; nothing is stored on any error."
    ),
)
def put_environment(
    model: ModelPath, body: EnvironmentCreate, store: StoreDep, token: Responder
) -> EnvironmentRead:
    """Keep a Guard instance's fingerprint as its latest for this model."""
    unsent = {"variables"} - body.fingerprint.model_fields_set  # Guards from before they were
    view, _ = record_environment(
        store,
        model=model,
        instance=body.instance,
        fingerprint=body.fingerprint.model_dump(mode="json", exclude=unsent),
        actor=actor_of(token),
    )
    return _read(view)


@router.get("/models/{model}/environments", response_model=list[EnvironmentRead])
def get_environments(model: ModelPath, store: StoreDep, _: Viewer) -> list[EnvironmentRead]:
    """Every Guard instance's latest fingerprint of the model, most recent first."""
    return [_read(v) for v in list_environments(store, model=model)]
