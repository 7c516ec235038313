"""Models the store has seen, and the reference each is judged against."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from redline.api.auth import Admin, Viewer, actor_of
from redline.api.context import ContextDep, StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import ModelPath
from redline.api.schemas import check_json
from redline.api.schemas_read import ModelRead, ReferenceRead
from redline.errors import DataError
from redline.services.catalog import get_model, get_reference, list_models, save_reference

__all__ = ["router"]

router = APIRouter(tags=["models"], responses=ERROR_RESPONSES)


@router.get("/models", response_model=list[ModelRead])
def list_models_route(context: ContextDep, _: Viewer) -> list[ModelRead]:
    """Every model named by a window, route, version, reference or incident."""
    models = list_models(context.store, review_sla=context.plan.review_sla)
    return [ModelRead.model_validate(m.to_dict()) for m in models]


@router.get("/models/{model}", response_model=ModelRead)
def get_model_route(model: ModelPath, context: ContextDep, _: Viewer) -> ModelRead:
    """One model: its route, what serves, its reference and latest window."""
    summary = get_model(context.store, model=model, review_sla=context.plan.review_sla)
    return ModelRead.model_validate(summary.to_dict())


@router.get("/models/{model}/reference", response_model=ReferenceRead)
def get_reference_route(model: ModelPath, store: StoreDep, _: Viewer) -> ReferenceRead:
    """The reference stored last for the model."""
    digest, body = get_reference(store, model=model)
    return ReferenceRead(model=model, content_hash=digest, reference=body)


@router.put("/models/{model}/reference", response_model=ReferenceRead)
def put_reference_route(
    model: ModelPath,
    store: StoreDep,
    token: Admin,
    body: Annotated[
        dict[str, Any],
        Body(description="A reference body (`Reference.to_dict()`) or a saved reference file."),
    ],
) -> ReferenceRead:
    """Store the model's reference; ingest and metrics use the one stored last."""
    try:
        check_json(body)
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    reference = save_reference(store, model=model, body=body, actor=actor_of(token))
    return ReferenceRead(
        model=model, content_hash=reference.content_hash, reference=reference.to_dict()
    )
