"""A model's RouteState, with a long-poll remote Guards use to learn of a change at once."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from starlette.concurrency import run_in_threadpool

from redline.api.auth import Viewer
from redline.api.context import ContextDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import ModelPath
from redline.api.schemas import INT32
from redline.api.schemas_read import RouteRead
from redline.services.routes import route_source
from redline.services.views import RouteView, get_route_view, list_route_views

__all__ = ["router"]

router = APIRouter(tags=["routes"], responses=ERROR_RESPONSES)


def _read(view: RouteView) -> RouteRead:
    return RouteRead.model_validate(view.to_dict())


@router.get(
    "/models/{model}/route",
    response_model=RouteRead,
    description=(
        "With `after_revision`, answers as soon as a newer revision is stored: changes made "
        "through this service, and on PostgreSQL by any process (LISTEN/NOTIFY), wake the "
        "wait at once; others are seen within `api.route_poll_s`; 304 with no body after "
        "`wait_s` (capped by `api.route_wait_max_s`)."
    ),
    responses={304: {"description": "No revision after `after_revision` within `wait_s`."}},
)
async def get_route(
    model: ModelPath,
    context: ContextDep,
    _: Viewer,
    after_revision: Annotated[
        int | None, Query(ge=0, le=INT32, description="Wait for a revision newer than this.")
    ] = None,
    wait_s: Annotated[
        float, Query(ge=0, le=60, description="How long to wait for it, in seconds.")
    ] = 25.0,
) -> RouteRead | Response:
    """The RouteState in force; with ``after_revision``, wait until a newer one exists."""
    store, settings = context.store, context.settings.api
    if after_revision is None:
        return _read(await run_in_threadpool(get_route_view, store, model=model))
    fetch = route_source(store, model=model)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(wait_s, settings.route_wait_max_s)
    while True:
        generation = context.routes.generation
        state = await run_in_threadpool(fetch)
        if state is not None and state.revision > after_revision:
            return _read(await run_in_threadpool(get_route_view, store, model=model))
        remaining = deadline - loop.time()
        if remaining <= 0:
            return Response(status_code=status.HTTP_304_NOT_MODIFIED)
        # Announced changes need no timer; without announcements re-read every route_poll_s.
        step = remaining if context.routes.pushed else min(settings.route_poll_s, remaining)
        await context.routes.wait(generation, step)


@router.get("/models/{model}/route/history", response_model=list[RouteRead])
def route_history(model: ModelPath, context: ContextDep, _: Viewer) -> list[RouteRead]:
    """Every stored RouteState revision of the model, oldest first, with what each changed."""
    return [_read(view) for view in list_route_views(context.store, model=model)]
