"""Snoozes: signals matching a fingerprint pattern open no incident until they expire."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from redline.api.auth import Responder, Viewer, actor_of
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import Limit
from redline.api.schemas import SnoozeCreate
from redline.api.schemas_incidents import SnoozeRead
from redline.services.snoozes import list_snoozes, snooze

__all__ = ["router"]

router = APIRouter(tags=["snoozes"], responses=ERROR_RESPONSES)


def _read(snoozed: object) -> SnoozeRead:
    """A stored snooze as returned by the snoozes service, read by its attributes."""
    return SnoozeRead.model_validate(snoozed, from_attributes=True)


@router.get("/snoozes", response_model=list[SnoozeRead])
def list_snoozes_route(
    store: StoreDep,
    _: Viewer,
    active: Annotated[bool, Query(description="Only snoozes in force now.")] = True,
    limit: Limit = 100,
) -> list[SnoozeRead]:
    """Snoozes in force (ending soonest first), or all of them (newest first)."""
    return [_read(row) for row in list_snoozes(store, active_only=active, limit=limit)]


@router.post("/snoozes", response_model=SnoozeRead, status_code=status.HTTP_201_CREATED)
def create_snooze_route(body: SnoozeCreate, store: StoreDep, token: Responder) -> SnoozeRead:
    """Snooze matching signals until ``until`` (which must be in the future), saying why."""
    row = snooze(
        store, pattern=body.pattern, until=body.until, reason=body.reason, actor=actor_of(token)
    )
    return _read(row)
