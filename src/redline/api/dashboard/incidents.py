"""The incident page and its forms: containment actions and status transitions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from redline.api.auth import actor_of
from redline.api.context import get_context
from redline.api.dashboard.evidence import forensic_values
from redline.api.dashboard.forensics import EXPORTS
from redline.api.dashboard.next_step import next_step
from redline.api.dashboard.postmortems import STEPS
from redline.api.dashboard.signal_story import group_signals
from redline.api.dashboard.web import Csrf, VisitorDep, back_to, refusal, render
from redline.domain import ActionType, IncidentEvent, IncidentStatus
from redline.domain.actions import ACTION_SPECS
from redline.domain.decision import REVIEW_MODES
from redline.errors import DataError, RedlineError
from redline.services.acknowledge import EVENT_KIND as ACKNOWLEDGED
from redline.services.acknowledge import acknowledge_incident
from redline.services.actions import apply_action
from redline.services.incidents import IncidentNotFoundError, transition_incident
from redline.services.restore import restore_incident
from redline.services.view_types import IncidentDetail, TimelineEntry
from redline.services.views import get_incident_id, get_incident_view, get_route_view

__all__ = [
    "ACTION_FIELDS",
    "BUTTON_ACTIONS",
    "BUTTON_EVENTS",
    "CONTAINABLE",
    "acknowledge",
    "action_params",
    "restore",
    "router",
]

router = APIRouter(include_in_schema=False)

#: The containment actions the incident page offers, with their button labels (from the specs).
BUTTON_ACTIONS: dict[ActionType, str] = {
    t: spec.button for t, spec in ACTION_SPECS.items() if spec.button is not None
}
#: The form fields each action passes on as its params (the rest of the form is ignored).
ACTION_FIELDS: dict[ActionType, tuple[str, ...]] = {
    t: spec.form_fields for t, spec in ACTION_SPECS.items() if spec.form_fields
}
#: The transitions the incident page offers a person (the system makes the others).
BUTTON_EVENTS: dict[IncidentEvent, str] = {
    IncidentEvent.DECLARE: "Declare",
    IncidentEvent.DISMISS: "Dismiss",
    IncidentEvent.MONITOR: "Monitor",
    IncidentEvent.RESOLVE: "Resolve",
    IncidentEvent.CLOSE: "Close",
    IncidentEvent.REOPEN: "Reopen",
}
#: Timeline events the page lists unless asked for all (``?timeline=all``).
TIMELINE_SHOWN = 300
#: Statuses in which the page offers containment actions.
CONTAINABLE = frozenset(
    {
        IncidentStatus.TRIAGE,
        IncidentStatus.DECLARED,
        IncidentStatus.CONTAINED,
        IncidentStatus.MONITORING,
    }
)

Field = Annotated[str, Form(max_length=200)]


def action_params(chosen: ActionType, form: dict[str, str]) -> dict[str, Any]:
    """The params of ``chosen`` from its form fields (blank ones left out, numbers checked)."""
    params: dict[str, Any] = {}
    for name in ACTION_FIELDS.get(chosen, ()):
        value = form.get(name, "").strip()
        if value:
            params[name] = value
    if "threshold" in params:
        try:
            params["threshold"] = float(params["threshold"])
        except ValueError:
            raise DataError(f"threshold must be a number, not {params['threshold']!r}") from None
        if not math.isfinite(params["threshold"]):
            raise DataError("threshold must be a finite number")
    if "review_mode" in params and params["review_mode"] not in REVIEW_MODES:
        raise DataError(f"review_mode must be one of {', '.join(REVIEW_MODES)}")
    return params


@router.get("/incidents/{key}", response_class=HTMLResponse)
def incident_page(key: str, request: Request, visitor: VisitorDep) -> Response:
    """An incident: header, signals, actions, forensics, post-mortem, clocks and the timeline."""
    store = get_context(request).store
    try:
        detail = get_incident_view(store, key=key)
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    forensics = forensic_values(
        get_context(request),
        key=detail.incident.key,
        aware_at=detail.aware_at,
        now=datetime.now(UTC),
    )
    route = get_route_view(store, model=detail.incident.model)
    return render(
        request,
        "incident.html",
        visitor,
        detail=detail,
        incident=detail.incident,
        route=route,
        next_step=next_step(detail, degraded=route.degraded),
        owner=_owner(detail),
        signal_groups=group_signals(detail.signals, detail.signal_counts),
        timeline=_timeline_shown(detail, everything=request.query_params.get("timeline") == "all"),
        actions=BUTTON_ACTIONS if detail.incident.status in CONTAINABLE else {},
        events=BUTTON_EVENTS,
        review_modes=REVIEW_MODES,
        steps=STEPS,
        exports=EXPORTS,
        **forensics,
    )


def _timeline_shown(detail: IncidentDetail, *, everything: bool) -> Sequence[TimelineEntry]:
    """The newest events the page lists, all of them when asked (the chain check covers all)."""
    return detail.timeline if everything else detail.timeline[-TIMELINE_SHOWN:]


def _owner(detail: IncidentDetail) -> str | None:
    """Who acknowledged the incident (the first ``acknowledged`` timeline event), if anyone."""
    return next((e.actor for e in detail.timeline if e.kind == ACKNOWLEDGED), None)


@router.post("/incidents/{key}/acknowledge")
def acknowledge(key: str, request: Request, visitor: VisitorDep, csrf_token: Csrf = "") -> Response:
    """Say that the visitor owns the incident now; a repeat names the first owner."""
    refused = refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    try:
        ack = acknowledge_incident(
            get_context(request).store, key=key, actor=actor_of(visitor.token)
        )
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except RedlineError as exc:
        return back_to(key, error=f"acknowledge was refused: {exc}")
    if not ack.new:
        return back_to(key, notice=f"{ack.actor} already acknowledged {ack.key}")
    return back_to(key, notice=f"acknowledged: {ack.actor} owns {ack.key}")


@router.post("/incidents/{key}/actions")
def act_on_incident(
    key: str,
    request: Request,
    visitor: VisitorDep,
    csrf_token: Csrf = "",
    type: Annotated[str, Form(max_length=64)] = "",
    baseline: Field = "",
    version: Field = "",
    threshold: Field = "",
    review_mode: Field = "",
) -> Response:
    """Apply a containment action to the incident's model, linked to the incident."""
    refused = refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    context = get_context(request)
    try:
        chosen = ActionType(type)
        if chosen not in BUTTON_ACTIONS:
            raise ValueError
    except ValueError:
        return back_to(key, error=f"{type!r} is not an action this page offers")
    form = {"baseline": baseline, "version": version, "threshold": threshold}
    try:
        params = action_params(chosen, form | {"review_mode": review_mode})
        incident_id = get_incident_id(context.store, key=key)
        model = get_incident_view(context.store, key=key).incident.model
        result = apply_action(
            context.store,
            model=model,
            type=chosen,
            trigger=actor_of(visitor.token),
            params=params,
            incident_id=incident_id,
        )
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except (RedlineError, TypeError, ValueError) as exc:
        return back_to(key, error=f"{chosen.value} was refused: {exc}")
    context.routes.notify()
    if result.error:
        return back_to(key, error=f"{chosen.value} failed: {result.error}")
    revision = "" if result.revision is None else f" (route revision {result.revision})"
    return back_to(key, notice=f"{chosen.value} {result.status.value}{revision}")


@router.post("/incidents/{key}/transitions")
def transition(
    key: str,
    request: Request,
    visitor: VisitorDep,
    csrf_token: Csrf = "",
    event: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2_000)] = "",
    accept_containment: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Move the incident by ``event``; a refused transition comes back as a message."""
    refused = refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    try:
        target = transition_incident(
            get_context(request).store,
            key=key,
            event=IncidentEvent(event),
            actor=actor_of(visitor.token),
            reason=reason.strip() or "from the dashboard",
            accept_containment=accept_containment.strip(),
        )
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except ValueError:
        return back_to(key, error=f"{event!r} is not an incident event")
    except RedlineError as exc:
        return back_to(key, error=f"{event} was refused: {exc}")
    return back_to(key, notice=f"{event}: the incident is now {target.value}")


@router.post("/incidents/{key}/restore")
def restore(key: str, request: Request, visitor: VisitorDep, csrf_token: Csrf = "") -> Response:
    """Route the incident's model back to the primary, verified like any action."""
    refused = refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    context = get_context(request)
    try:
        action_id = restore_incident(context.store, key=key, actor=actor_of(visitor.token))
    except IncidentNotFoundError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    except RedlineError as exc:
        return back_to(key, error=f"restore was refused: {exc}")
    context.routes.notify()
    return back_to(key, notice=f"restore action {action_id} applied: verified on a clean window")
