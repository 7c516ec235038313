"""Containment actions: apply one to a model, revert one, list them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from redline.api.auth import Responder, Viewer, actor_of
from redline.api.context import ContextDep, StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import IdPath, Limit, ModelPath, ModelQuery
from redline.api.schemas import ActionCreate
from redline.api.schemas_incidents import ActionRead, ActionResultRead
from redline.services import ActionError, apply_action, revert_action
from redline.services.records import check_action_key, get_action_view
from redline.services.views import get_incident_id, list_action_views

__all__ = ["router"]

router = APIRouter(tags=["actions"], responses=ERROR_RESPONSES)


@router.get("/actions", response_model=list[ActionRead])
def list_actions_route(
    store: StoreDep,
    _: Viewer,
    model: ModelQuery = None,
    incident: Annotated[str | None, Query(max_length=64, description="An incident key.")] = None,
    limit: Limit = 100,
) -> list[ActionRead]:
    """Actions matching every filter given, in the order they were requested."""
    views = list_action_views(store, model=model, incident_key=incident, limit=limit)
    return [ActionRead.model_validate(v.to_dict()) for v in views]


@router.get("/actions/{action_id}", response_model=ActionRead)
def get_action_route(action_id: IdPath, store: StoreDep, _: Viewer) -> ActionRead:
    """One action."""
    return ActionRead.model_validate(get_action_view(store, action_id=action_id).to_dict())


@router.post(
    "/models/{model}/actions",
    response_model=ActionResultRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ActionResultRead, "description": "A repeat of an earlier key."}},
)
def apply_action_route(
    model: ModelPath,
    body: ActionCreate,
    context: ContextDep,
    response: Response,
    token: Responder,
) -> ActionResultRead:
    """Apply a containment action (a new RouteState revision); a repeated key is a no-op."""
    store = context.store
    incident_id = None if body.incident is None else get_incident_id(store, key=body.incident)
    if body.idempotency_key is not None:
        check_action_key(
            store, key=body.idempotency_key, model=model, type=body.type, incident_id=incident_id
        )
    try:
        result = apply_action(
            store,
            model=model,
            type=body.type,
            trigger=actor_of(token),
            params=body.params,
            incident_id=incident_id,
            idempotency_key=body.idempotency_key,
        )
    except (TypeError, ValueError) as exc:  # parameters the effect could not use
        raise ActionError(f"{body.type.value} cannot use params {body.params}: {exc}") from exc
    context.routes.notify()
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return ActionResultRead.model_validate(asdict(result))


@router.post("/actions/{action_id}/revert", response_model=ActionResultRead)
def revert_action_route(
    action_id: IdPath, context: ContextDep, token: Responder
) -> ActionResultRead:
    """Undo what an applied action changed in the RouteState, keeping later changes."""
    get_action_view(context.store, action_id=action_id)  # 404 for an unknown id
    result = revert_action(context.store, action_id=action_id, actor=actor_of(token))
    context.routes.notify()
    return ActionResultRead.model_validate(asdict(result))
