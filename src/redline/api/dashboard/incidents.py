"""The incident page and its forms: containment actions and status transitions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from redline.api.auth import actor_of
from redline.api.context import get_context
from redline.api.dashboard.web import Visitor, VisitorDep, get_signer, render
from redline.api.sessions import CSRF_FIELD
from redline.domain import ActionType, IncidentEvent
from redline.errors import RedlineError
from redline.services.actions import apply_action
from redline.services.incidents import IncidentNotFoundError, transition_incident
from redline.services.views import get_incident_id, get_incident_view, get_route_view

__all__ = ["BUTTON_ACTIONS", "BUTTON_EVENTS", "router"]

router = APIRouter(include_in_schema=False)

#: The containment actions the incident page offers, with their button labels.
BUTTON_ACTIONS: dict[ActionType, str] = {
    ActionType.KILL_SWITCH: "Kill switch",
    ActionType.ROLLBACK: "Roll back",
}
#: The transitions the incident page offers.
BUTTON_EVENTS: dict[IncidentEvent, str] = {IncidentEvent.RESOLVE: "Resolve"}

Csrf = Annotated[str, Form(alias=CSRF_FIELD, max_length=200)]


@router.get("/incidents/{key}", response_class=HTMLResponse)
def incident_page(key: str, request: Request, visitor: VisitorDep) -> Response:
    """An incident: header, signals, actions, the timeline and the containment buttons."""
    store = get_context(request).store
    try:
        detail = get_incident_view(store, key=key)
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    return render(
        request,
        "incident.html",
        visitor,
        detail=detail,
        incident=detail.incident,
        route=get_route_view(store, model=detail.incident.model),
        actions=BUTTON_ACTIONS,
        events=BUTTON_EVENTS,
    )


def _refusal(request: Request, visitor: Visitor, submitted: str) -> Response | None:
    """A 403 page when the CSRF token is wrong or the role may not act; None when allowed."""
    if not get_signer(request).check_csrf(visitor.session, submitted or None):
        message = "The form's CSRF token is missing or wrong: reload the page and try again."
        return render(request, "error.html", visitor, status_code=403, error=message)
    if not visitor.can_act:
        message = f"This needs a responder or admin; {visitor.token.name!r} is a viewer."
        return render(request, "error.html", visitor, status_code=403, error=message)
    return None


def _back(key: str, **message: str) -> RedirectResponse:
    query = f"?{urlencode(message)}" if message else ""
    return RedirectResponse(f"/incidents/{key}{query}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/incidents/{key}/actions")
def act_on_incident(
    key: str,
    request: Request,
    visitor: VisitorDep,
    csrf_token: Csrf = "",
    type: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Apply a containment action to the incident's model, linked to the incident."""
    refused = _refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    context = get_context(request)
    try:
        chosen = ActionType(type)
        if chosen not in BUTTON_ACTIONS:
            raise ValueError
    except ValueError:
        return _back(key, error=f"{type!r} is not an action this page offers")
    try:
        incident_id = get_incident_id(context.store, key=key)
        model = get_incident_view(context.store, key=key).incident.model
        result = apply_action(
            context.store,
            model=model,
            type=chosen,
            trigger=actor_of(visitor.token),
            incident_id=incident_id,
        )
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except (RedlineError, TypeError, ValueError) as exc:
        return _back(key, error=f"{chosen.value} was refused: {exc}")
    context.routes.notify()
    if result.error:
        return _back(key, error=f"{chosen.value} failed: {result.error}")
    revision = "" if result.revision is None else f" (route revision {result.revision})"
    return _back(key, notice=f"{chosen.value} {result.status.value}{revision}")


@router.post("/incidents/{key}/transitions")
def transition(
    key: str,
    request: Request,
    visitor: VisitorDep,
    csrf_token: Csrf = "",
    event: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Move the incident by ``event``; a refused transition comes back as a message."""
    refused = _refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    try:
        target = transition_incident(
            get_context(request).store,
            key=key,
            event=IncidentEvent(event),
            actor=actor_of(visitor.token),
            reason=reason.strip() or "from the dashboard",
        )
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except ValueError:
        return _back(key, error=f"{event!r} is not an incident event")
    except RedlineError as exc:
        return _back(key, error=f"{event} was refused: {exc}")
    return _back(key, notice=f"{event}: the incident is now {target.value}")
