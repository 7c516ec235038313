"""Forensic snapshots: list and read (viewers); verify and take one now (responders)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from redline.api.auth import Responder, Viewer, actor_of
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import Limit, ModelQuery
from redline.api.schemas import Body
from redline.services.snapshot_views import SnapshotNotFoundError, SnapshotView
from redline.services.snapshots import (
    get_snapshot_view,
    list_snapshot_views,
    take_snapshot,
    verify_snapshot,
)

__all__ = ["SnapshotCreate", "SnapshotRead", "SnapshotVerifyRead", "router"]

router = APIRouter(tags=["snapshots"], responses=ERROR_RESPONSES)

_T = TypeVar("_T")
SnapshotIdPath = Annotated[
    str,
    Path(
        min_length=8, max_length=64, pattern=r"^[0-9a-fA-F]+$", description="Id or 8+ hex digits."
    ),
]
IncidentQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$", description="Incident key."),
]


class SnapshotRead(BaseModel):
    """A snapshot: who, when, why, how many files; ``manifest`` only when read one by one."""

    id: str
    model: str
    incident: str | None
    reason: str
    taken_at: datetime
    files: int
    size_bytes: int
    manifest: dict[str, Any] | None = None


class SnapshotVerifyRead(BaseModel):
    """Whether the manifest and every file still match their sha256, and each mismatch."""

    snapshot_id: str
    recomputed_id: str
    ok: bool
    problems: list[str]
    files: list[dict[str, Any]]


class SnapshotCreate(Body):
    """Take a snapshot of a model now, optionally for one of its incidents."""

    model: str = Field(min_length=1, max_length=200)
    incident: str | None = Field(default=None, min_length=1, max_length=64)


def _found(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except SnapshotNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _read(view: SnapshotView, *, manifest: bool) -> SnapshotRead:
    return SnapshotRead.model_validate(view.to_dict(manifest=manifest))


@router.get("/snapshots", response_model=list[SnapshotRead])
def list_route(
    store: StoreDep,
    _: Viewer,
    incident: IncidentQuery = None,
    model: ModelQuery = None,
    limit: Limit = 100,
) -> list[SnapshotRead]:
    """Snapshots, newest first, of an incident and/or a model."""
    views = _found(
        lambda: list_snapshot_views(store, incident_key=incident, model=model, limit=limit)
    )
    return [_read(v, manifest=False) for v in views]


@router.get("/snapshots/{snapshot_id}", response_model=SnapshotRead)
def get_route(snapshot_id: SnapshotIdPath, store: StoreDep, _: Viewer) -> SnapshotRead:
    """One snapshot with its whole manifest."""
    view = _found(lambda: get_snapshot_view(store, snapshot_id=snapshot_id))
    return _read(view, manifest=True)


@router.post("/snapshots/{snapshot_id}/verify", response_model=SnapshotVerifyRead)
def verify_route(snapshot_id: SnapshotIdPath, store: StoreDep, _: Responder) -> SnapshotVerifyRead:
    """Recompute every file's sha256 and the manifest's; ``ok`` is false on any change.

    A POST, so like every POST it needs a responder (viewers: `redline snapshot verify`).
    """
    result = _found(lambda: verify_snapshot(store, snapshot_id=snapshot_id))
    return SnapshotVerifyRead.model_validate(result.to_dict())


@router.post("/snapshots", response_model=SnapshotRead, status_code=status.HTTP_201_CREATED)
def take_route(body: SnapshotCreate, store: StoreDep, token: Responder) -> SnapshotRead:
    """Take a snapshot now (reason ``on_demand``)."""
    view = _found(
        lambda: take_snapshot(
            store, model=body.model, incident_key=body.incident, actor=actor_of(token)
        )
    )
    return _read(view, manifest=False)
