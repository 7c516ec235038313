"""The review queue page: held predictions, decided one by one from the keyboard."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from redline.api.auth import actor_of
from redline.api.context import get_context
from redline.api.dashboard.web import Csrf, VisitorDep, refusal, render
from redline.services.review import ReviewDecision, ReviewError, decide_review, list_review_page

__all__ = ["QUEUE_LIMIT", "parse_output", "router"]

router = APIRouter(include_in_schema=False)

#: How many pending items the page lists (oldest first: the order to work them).
QUEUE_LIMIT = 200


def parse_output(text: str) -> Any:
    """The reviewer's output: JSON when it parses (``1``, ``"yes"``, ``[0, 1]``), else the text."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return stripped


@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, visitor: VisitorDep, model: str = "") -> Response:
    """Pending review items, oldest first; j/k move, a/o/r/e decide (responders only)."""
    store = get_context(request).store
    queue = list_review_page(store, status="pending", model=model or None, limit=QUEUE_LIMIT)
    return render(
        request,
        "review.html",
        visitor,
        items=queue.items,
        total=queue.total,
        model=model,
        decisions=[d.value for d in ReviewDecision],
        at=request.query_params.get("at", "0"),
    )


def _back(model: str, at: str, **message: str) -> RedirectResponse:
    query = {"model": model, "at": at, **message} if model else {"at": at, **message}
    location = f"/review?{urlencode(query)}"
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)


@router.post("/review/decide")
def decide(
    request: Request,
    visitor: VisitorDep,
    csrf_token: Csrf = "",
    item_id: Annotated[int, Form(ge=1)] = 0,
    decision: Annotated[str, Form(max_length=32)] = "",
    final_output: Annotated[str, Form(max_length=10_000)] = "",
    model: Annotated[str, Form(max_length=200)] = "",
    at: Annotated[str, Form(max_length=10)] = "0",
) -> Response:
    """Record the decision on one item; a refused decision comes back as a message."""
    refused = refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    position = at if at.isdigit() else "0"
    if item_id < 1:
        return _back(model, position, error="choose an item first (j/k)")
    try:
        decided = decide_review(
            get_context(request).store,
            item_id=item_id,
            decision=decision,
            reviewer=actor_of(visitor.token),
            final_output=parse_output(final_output),
        )
    except ReviewError as exc:
        return _back(model, position, error=str(exc))
    shown = "" if decided.final_output is None else f" → {json.dumps(decided.final_output)}"
    notice = f"item {decided.id} ({decided.request_id}): {decided.decision}{shown}"
    return _back(model, position, notice=notice)
