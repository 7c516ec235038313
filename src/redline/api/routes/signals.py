"""``GET /signals``: stored monitor findings, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from redline.api.auth import Viewer
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import Limit, ModelQuery
from redline.api.schemas import UtcTime
from redline.api.schemas_read import SignalRead
from redline.domain import Level
from redline.services.records import list_signal_views

__all__ = ["router"]

router = APIRouter(tags=["signals"], responses=ERROR_RESPONSES)


@router.get("/signals", response_model=list[SignalRead])
def list_signals_route(
    store: StoreDep,
    _: Viewer,
    model: ModelQuery = None,
    level: Annotated[Level | None, Query(description="Only signals this loud.")] = None,
    since: Annotated[UtcTime | None, Query(description="Only signals stored from then on.")] = None,
    limit: Limit = 100,
) -> list[SignalRead]:
    """Signals matching every filter given, newest first."""
    views = list_signal_views(store, model=model, level=level, since=since, limit=limit)
    return [SignalRead.model_validate(v.to_dict()) for v in views]
