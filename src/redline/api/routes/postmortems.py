"""Post-mortems and exports of an incident: viewers read, responders edit, admins approve."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StringConstraints

from redline.api.auth import Admin, Responder, Viewer, actor_of
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import KeyPath
from redline.api.schemas import INT32, Body
from redline.services.postmortem_exports import export_incident
from redline.services.postmortem_review import (
    approve_postmortem,
    edit_postmortem,
    request_postmortem_changes,
    submit_postmortem,
)
from redline.services.postmortems import (
    PostmortemView,
    generate_postmortem,
    render_postmortem,
    show_postmortem,
)

__all__ = [
    "ApprovalCreate",
    "ChangesCreate",
    "PostmortemEdit",
    "PostmortemRead",
    "router",
]

router = APIRouter(tags=["postmortems"], responses=ERROR_RESPONSES)
Reason = Annotated[str, StringConstraints(min_length=1, max_length=10_000, pattern=r"\S")]


class PostmortemRead(BaseModel):
    """A post-mortem: its review status, version, Markdown and structured content."""

    key: str
    status: Literal["draft", "in_review", "approved"]
    version: int
    markdown: str
    content: dict[str, Any]
    edited_by: str | None
    approved_by: str | None
    approved_at: datetime | None
    updated_at: datetime


class PostmortemEdit(Body):
    """New Markdown for a draft, why, and the version it was based on (409 if it moved on)."""

    markdown: Annotated[str, StringConstraints(min_length=1, max_length=1_000_000, pattern=r"\S")]
    reason: Reason
    version: int = Field(ge=1, le=INT32)


class ApprovalCreate(Body):
    """Who approves: a named person."""

    by: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]*\S")]


class ChangesCreate(Body):
    """What the reviewer wants changed."""

    reason: Reason


def _read(view: PostmortemView) -> PostmortemRead:
    return PostmortemRead.model_validate(view.to_dict())


@router.get("/incidents/{key}/postmortem", response_model=PostmortemRead)
def get_postmortem_route(key: KeyPath, store: StoreDep, _: Viewer) -> PostmortemRead:
    """The incident's post-mortem; 404 until one is drafted."""
    return _read(show_postmortem(store, key=key))


@router.get(
    "/incidents/{key}/postmortem/html",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "One self-contained page."}},
)
def get_postmortem_html_route(key: KeyPath, store: StoreDep, _: Viewer) -> Response:
    """The post-mortem as one HTML page with its charts inline."""
    html = render_postmortem(store, key=key, fmt="html")
    return Response(content=html, media_type="text/html; charset=utf-8")


@router.post("/incidents/{key}/postmortem", response_model=PostmortemRead)
def generate_postmortem_route(key: KeyPath, store: StoreDep, token: Responder) -> PostmortemRead:
    """Draft the post-mortem now (redrafts an unedited draft; 400 over a person's edits)."""
    return _read(generate_postmortem(store, key=key, actor=actor_of(token)))


@router.put("/incidents/{key}/postmortem", response_model=PostmortemRead)
def edit_postmortem_route(
    key: KeyPath, body: PostmortemEdit, store: StoreDep, token: Responder
) -> PostmortemRead:
    """Replace a draft's Markdown; 409 when ``version`` is not the stored one."""
    view = edit_postmortem(
        store,
        key=key,
        markdown=body.markdown,
        reason=body.reason,
        actor=actor_of(token),
        expected_version=body.version,
    )
    return _read(view)


@router.post("/incidents/{key}/postmortem/submit", response_model=PostmortemRead)
def submit_postmortem_route(key: KeyPath, store: StoreDep, token: Responder) -> PostmortemRead:
    """Send the draft for review."""
    return _read(submit_postmortem(store, key=key, actor=actor_of(token)))


@router.post("/incidents/{key}/postmortem/approve", response_model=PostmortemRead)
def approve_postmortem_route(
    key: KeyPath, body: ApprovalCreate, store: StoreDep, token: Admin
) -> PostmortemRead:
    """Approve the post-mortem in review, naming the person; the incident may then close."""
    return _read(approve_postmortem(store, key=key, by=body.by, actor=actor_of(token)))


@router.post("/incidents/{key}/postmortem/request-changes", response_model=PostmortemRead)
def request_changes_route(
    key: KeyPath, body: ChangesCreate, store: StoreDep, token: Admin
) -> PostmortemRead:
    """Send the post-mortem in review back to draft."""
    view = request_postmortem_changes(store, key=key, actor=actor_of(token), reason=body.reason)
    return _read(view)


@router.get("/incidents/{key}/exports/{kind}", response_model=dict[str, Any])
def export_route(
    key: KeyPath,
    kind: Literal["art73", "nist", "aiid", "assessment"],
    store: StoreDep,
    _: Viewer,
) -> dict[str, Any]:
    """A sealed export (schema_version, payload, sha256); not legal advice."""
    return export_incident(store, key=key, kind=kind)
