"""The overview, a model's route, windows and drift, and reverting what keeps it off primary."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from redline.api.auth import actor_of
from redline.api.context import get_context
from redline.api.dashboard.charts import feature_charts, feature_drift, series_of
from redline.api.dashboard.series_pages import model_charts, read_range
from redline.api.dashboard.web import Csrf, VisitorDep, redirect_to, refusal, render
from redline.domain import IncidentStatus, Severity
from redline.errors import RedlineError
from redline.services.actions import revert_action
from redline.services.catalog import UnknownModelError, get_model, list_models
from redline.services.views import (
    ColumnResult,
    count_open_by_model,
    get_model_activity,
    get_route_view,
    list_in_force_views,
    list_incident_views,
)

__all__ = ["feature_drift", "revert_on_model", "router"]

router = APIRouter(include_in_schema=False)

#: How many windows and incidents a page shows.
RECENT_WINDOWS = 20
#: How many windows the model page's charts span (the only windows it reads).
CHART_WINDOWS = 40
LATEST_INCIDENTS = 25
#: The most incidents the incident list shows at once.
LIST_LIMIT = 500


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, visitor: VisitorDep) -> Response:
    """Models, open incidents by severity and the latest incidents."""
    store = get_context(request).store
    by_model = count_open_by_model(store)
    totals = Counter[Severity]()
    for counts in by_model.values():
        totals.update(counts)
    # A model's health is its worst open severity (Severity sorts SEV1 first).
    health = {model: min(counts) for model, counts in by_model.items() if counts}
    return render(
        request,
        "overview.html",
        visitor,
        models=list_models(store, review_sla=get_context(request).plan.review_sla),
        counts=[(s.value, totals.get(s, 0)) for s in Severity],
        health=health,
        incidents=list_incident_views(store, limit=LATEST_INCIDENTS),
    )


def _model_values(request: Request, model: str) -> dict[str, Any]:
    store = get_context(request).store
    summary = get_model(store, model=model, review_sla=get_context(request).plan.review_sla)
    activity = get_model_activity(store, model=model, windows=CHART_WINDOWS)
    latest = activity.latest
    drift: list[ColumnResult] = []
    if latest is not None:
        stored = activity.results[-1] if activity.results else None
        drift = feature_drift(list(latest.columns), stored)
    reference = activity.reference
    charts = (
        [] if reference is None else feature_charts(reference, activity.windows, activity.results)
    )
    return {
        "model": summary,
        "route": get_route_view(store, model=model),
        "windows": list(reversed(activity.windows[-RECENT_WINDOWS:])),
        "latest": latest,
        "drift": drift,
        "features": charts,
        "series": series_of(reference, activity.windows),
        "reference": reference,
        "incidents": list_incident_views(store, model=model, limit=10),
        "in_force": list_in_force_views(store, model=model),
    }


@router.get("/models/{model}", response_class=HTMLResponse)
def model_page(
    model: str,
    request: Request,
    visitor: VisitorDep,
    range_: Annotated[str, Query(alias="range", max_length=20)] = "day",
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> Response:
    """A model: its route, recent windows, each feature's drift in the latest window, and its
    stored statistics over the chosen range (hour, day, week or custom from/to, UTC)."""
    try:
        values = _model_values(request, model)
    except UnknownModelError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    choice = read_range(range_, start, end)
    values |= model_charts(get_context(request).store, model, choice)
    return render(request, "model.html", visitor, **values)


def _back_to_model(model: str, **message: str) -> RedirectResponse:
    return redirect_to("/models", model, **message)


@router.post("/models/{model}/actions/{action_id}/revert")
def revert_on_model(
    model: str, action_id: int, request: Request, visitor: VisitorDep, csrf_token: Csrf = ""
) -> Response:
    """Undo one action that keeps the model off its primary route (responders and admins)."""
    refused = refusal(request, visitor, csrf_token)
    if refused is not None:
        return refused
    context = get_context(request)
    if action_id not in {a.id for a in list_in_force_views(context.store, model=model)}:
        return _back_to_model(model, error=f"action {action_id} is not in force on {model}")
    try:
        result = revert_action(context.store, action_id=action_id, actor=actor_of(visitor.token))
    except RedlineError as exc:
        return _back_to_model(model, error=f"revert of action {action_id} was refused: {exc}")
    context.routes.notify()
    return _back_to_model(model, notice=f"action {action_id} ({result.type.value}) reverted")


def _choice(value: str, allowed: type[Severity] | type[IncidentStatus]) -> str:
    """``value`` when it names a member of ``allowed``, else "" (an unknown filter is no filter)."""
    return value if value in {m.value for m in allowed} else ""


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request,
    visitor: VisitorDep,
    model: str = "",
    status: str = "",
    severity: str = "",
    open: str = "",
    limit: int = Query(100, ge=1, le=LIST_LIMIT),
) -> Response:
    """Incidents filtered by model, status, severity and openness, most recent first."""
    status, severity = _choice(status, IncidentStatus), _choice(severity, Severity)
    incidents = list_incident_views(
        get_context(request).store,
        model=model.strip() or None,
        statuses=[IncidentStatus(status)] if status else [],
        severity=Severity(severity) if severity else None,
        open_only=open == "1",
        limit=limit,
    )
    filters = {"model": model, "status": status, "severity": severity, "open": open}
    return render(
        request,
        "incidents.html",
        visitor,
        incidents=incidents,
        filters=filters,
        statuses=[s.value for s in IncidentStatus],
        severities=[s.value for s in Severity],
        limit=limit,
        empty_incidents="No incident matches these filters.",
    )
