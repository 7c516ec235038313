"""``POST /models/{model}/windows``: closed windows from remote Guards, stored once by id."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from redline.api.auth import Responder
from redline.api.context import ContextDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.ingest import closed_window
from redline.api.params import ModelPath
from redline.api.schemas import WindowBatchCreate
from redline.api.schemas_read import WindowIngestRead, WindowResultRead
from redline.services.catalog import load_reference_of
from redline.services.ingest import record_window
from redline.services.response import ResponsePlan

__all__ = ["router"]

router = APIRouter(tags=["windows"], responses=ERROR_RESPONSES)


@router.post(
    "/models/{model}/windows",
    response_model=WindowIngestRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": WindowIngestRead, "description": "Every window was stored before."}},
    description=(
        "Each window is stored with its signals, labels, served rows and reviews, then "
        "responded to with the default response plan and the model's stored reference (if "
        "any): applied actions verified, signals triaged into incidents, guards advanced. A "
        "window whose id is already stored is skipped (`created: false`): senders may retry."
    ),
)
def ingest_windows(
    model: ModelPath,
    body: WindowBatchCreate,
    context: ContextDep,
    response: Response,
    _: Responder,
) -> WindowIngestRead:
    """Store closed windows of a model once each, and respond to what they show."""
    closed = [closed_window(model, item) for item in body.windows]  # all checked before any write
    reference = load_reference_of(context.store, model=model)
    plan = ResponsePlan()
    results = [
        WindowResultRead(
            window_id=item.window.window_id,
            created=record_window(context.store, item, plan=plan, reference=reference),
        )
        for item in closed
    ]
    context.routes.notify()  # triage may have contained an incident
    created = sum(r.created for r in results)
    if not created:
        response.status_code = status.HTTP_200_OK
    return WindowIngestRead(model=model, created=created, windows=results)
