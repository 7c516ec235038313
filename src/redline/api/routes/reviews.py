"""The review queue: predictions held for people, and their decisions (which become labels)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from redline.api.auth import Responder, Viewer, actor_of
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import IdPath, Limit, ModelQuery
from redline.api.schemas import ReviewDecisionCreate
from redline.api.schemas_incidents import ReviewItemRead
from redline.services.review import decide_review, list_review_page

__all__ = ["router"]

router = APIRouter(tags=["reviews"], responses=ERROR_RESPONSES)


@router.get("/reviews", response_model=list[ReviewItemRead])
def list_reviews_route(
    store: StoreDep,
    _: Viewer,
    response: Response,
    status: Annotated[
        Literal["pending", "decided", "all"], Query(description="Which items.")
    ] = "pending",
    model: ModelQuery = None,
    limit: Limit = 100,
) -> list[ReviewItemRead]:
    """Review items, oldest first (the order to work them); ``X-Total-Count``: all that match."""
    chosen = None if status == "all" else status
    page = list_review_page(store, status=chosen, model=model, limit=limit)
    response.headers["X-Total-Count"] = str(page.total)
    return [ReviewItemRead.model_validate(item.to_dict()) for item in page.items]


@router.post("/reviews/{item_id}/decision", response_model=ReviewItemRead)
def decide_review_route(
    item_id: IdPath, body: ReviewDecisionCreate, store: StoreDep, token: Responder
) -> ReviewItemRead:
    """Record a decision once; the reviewer defaults to the token's holder."""
    item = decide_review(
        store,
        item_id=item_id,
        decision=body.decision,
        reviewer=body.reviewer or actor_of(token),
        final_output=body.final_output,
    )
    return ReviewItemRead.model_validate(item.to_dict())
