"""``POST /models/{model}/windows``: closed windows from remote Guards, stored once by id."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response, status

from redline.api.auth import Responder
from redline.api.context import ContextDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.ingest import CheckedJsonRoute, closed_window
from redline.api.params import ModelPath
from redline.api.schemas import WindowBatchCreate
from redline.api.schemas_read import WindowIngestRead, WindowResultRead
from redline.services.ingest import record_windows, store_windows
from redline.services.snapshots import complete_pending_snapshots

__all__ = ["router"]

router = APIRouter(tags=["windows"], responses=ERROR_RESPONSES, route_class=CheckedJsonRoute)


@router.post(
    "/models/{model}/windows",
    response_model=WindowIngestRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": WindowIngestRead, "description": "Every window was stored before."}},
    description=(
        "Each window is stored with its monitors' results, signals, labels, served rows and "
        "reviews, then responded to with the server's response plan (`redline serve "
        "--playbook`, else the built-in policy) and the model's stored reference (if any): "
        "applied actions verified, signals triaged into incidents, guards advanced. The "
        "windows of one request are stored in order in one transaction: all or none. A "
        "window whose id is already stored is skipped (`created: false`): senders may retry. "
        "With `api.evaluate = worker`, or `auto` (the default) while a `redline worker` is "
        "alive, windows are only stored; the worker responds and keeps each window's "
        "per-column results. Bodies may be gzip'd "
        "(`Content-Encoding: gzip`); the size limit applies before and after inflating. "
        "A snapshot a response takes records its hashes with the change; its bytes are "
        "copied after the answer is sent."
    ),
)
def ingest_windows(
    model: ModelPath,
    body: WindowBatchCreate,
    context: ContextDep,
    response: Response,
    background: BackgroundTasks,
    _: Responder,
) -> WindowIngestRead:
    """Store closed windows of a model once each, and respond to what they show."""
    closed = [closed_window(model, item) for item in body.windows]  # all checked before any write
    if context.stores_only():  # api.evaluate: worker, or auto with a worker alive
        new = store_windows(context.store, closed, judge=False)  # the worker judges
    else:
        copy_later: list[str] = []
        new = record_windows(context.store, closed, plan=context.plan, copy_later=copy_later)
        context.routes.notify()  # triage may have contained an incident
        if copy_later:  # evidence bytes (artifacts, environment) after the answer, off the request
            background.add_task(complete_pending_snapshots, context.store, first=copy_later)
    results = [
        WindowResultRead(window_id=item.window.window_id, created=created)
        for item, created in zip(closed, new, strict=True)
    ]
    if not any(new):
        response.status_code = status.HTTP_200_OK
    return WindowIngestRead(model=model, created=sum(new), windows=results)
