"""Incidents: list, show, and move them (transition, acknowledge, notes on the timeline)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from redline.api.auth import Responder, Viewer, actor_of
from redline.api.context import ContextDep, StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import KeyPath, Limit, ModelQuery
from redline.api.schemas import NoteCreate, TransitionCreate
from redline.api.schemas_incidents import (
    AcknowledgementRead,
    IncidentDetailRead,
    IncidentRead,
    NoteRead,
    RestoreRead,
    TransitionRead,
)
from redline.domain import IncidentStatus, Severity
from redline.services.acknowledge import acknowledge_incident
from redline.services.incidents import transition_incident
from redline.services.notes import add_note
from redline.services.restore import restore_incident
from redline.services.views import get_incident_view, list_incident_views

__all__ = ["router"]

router = APIRouter(tags=["incidents"], responses=ERROR_RESPONSES)


@router.get("/incidents", response_model=list[IncidentRead])
def list_incidents_route(
    store: StoreDep,
    _: Viewer,
    model: ModelQuery = None,
    status_: Annotated[
        list[IncidentStatus] | None, Query(alias="status", description="Any of these statuses.")
    ] = None,
    severity: Severity | None = None,
    open_only: Annotated[bool, Query(alias="open", description="Only open incidents.")] = False,
    limit: Limit = 100,
) -> list[IncidentRead]:
    """Incidents matching every filter given, most recently detected first."""
    views = list_incident_views(
        store,
        model=model,
        statuses=status_ or (),
        severity=severity,
        open_only=open_only,
        limit=limit,
    )
    return [IncidentRead.model_validate(v.to_dict()) for v in views]


@router.get("/incidents/{key}", response_model=IncidentDetailRead)
def get_incident_route(key: KeyPath, store: StoreDep, _: Viewer) -> IncidentDetailRead:
    """One incident with its signals, actions and timeline."""
    return IncidentDetailRead.model_validate(get_incident_view(store, key=key).to_dict())


@router.post("/incidents/{key}/transitions", response_model=TransitionRead)
def transition_route(
    key: KeyPath, body: TransitionCreate, store: StoreDep, token: Responder
) -> TransitionRead:
    """Move the incident by an event; 409 when the transition table refuses it."""
    target = transition_incident(
        store,
        key=key,
        event=body.event,
        actor=actor_of(token),
        reason=body.reason,
        accept_containment=body.accept_containment,
    )
    return TransitionRead(key=key, status=target)


@router.post(
    "/incidents/{key}/restore", response_model=RestoreRead, status_code=status.HTTP_201_CREATED
)
def restore_route(key: KeyPath, context: ContextDep, token: Responder) -> RestoreRead:
    """Route the incident's model back to the primary; 409 when nothing is left to restore."""
    action_id = restore_incident(context.store, key=key, actor=actor_of(token))
    context.routes.notify()
    return RestoreRead(key=key, action_id=action_id)


@router.post("/incidents/{key}/acknowledge", response_model=AcknowledgementRead)
def acknowledge_route(key: KeyPath, store: StoreDep, token: Responder) -> AcknowledgementRead:
    """Say that the caller owns the incident now; a repeat returns the first owner."""
    ack = acknowledge_incident(store, key=key, actor=actor_of(token))
    return AcknowledgementRead(
        key=ack.key, actor=ack.actor, acknowledged_at=ack.acknowledged_at, new=ack.new
    )


@router.post("/incidents/{key}/notes", response_model=NoteRead, status_code=status.HTTP_201_CREATED)
def add_note_route(key: KeyPath, body: NoteCreate, store: StoreDep, token: Responder) -> NoteRead:
    """Write a note on the incident's timeline."""
    note = add_note(store, key=key, text=body.text, actor=actor_of(token))
    return NoteRead.model_validate(note.to_dict())
