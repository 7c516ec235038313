"""Read-only pages: the overview and a model's route, windows and drift."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from redline.api.context import get_context
from redline.api.dashboard.web import VisitorDep, render
from redline.domain import Severity
from redline.services.catalog import UnknownModelError, get_model, list_models
from redline.services.ingest import list_window_profiles
from redline.services.records import list_signal_views
from redline.services.views import SignalView, get_route_view, list_incident_views

__all__ = ["FeatureDrift", "feature_drift", "router"]

router = APIRouter(include_in_schema=False)

#: How many windows and incidents a page shows.
RECENT_WINDOWS = 20
LATEST_INCIDENTS = 25


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, visitor: VisitorDep) -> Response:
    """Models, open incidents by severity and the latest incidents."""
    store = get_context(request).store
    open_counts = Counter(
        i.severity for i in list_incident_views(store, open_only=True, limit=10_000)
    )
    counts = [(s.value, open_counts.get(s, 0)) for s in Severity]
    return render(
        request,
        "overview.html",
        visitor,
        models=list_models(store),
        counts=counts,
        incidents=list_incident_views(store, limit=LATEST_INCIDENTS),
    )


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """One feature of the latest window: its drift statistic against the threshold, if any."""

    column: str
    statistic: str
    value: float | None
    threshold: float | None
    level: str

    @property
    def ratio(self) -> float:
        """Value over threshold, capped at 2 (the bar's full width)."""
        if self.value is None or not self.threshold:
            return 0.0
        return max(0.0, min(self.value / self.threshold, 2.0))


def feature_drift(columns: list[str], signals: list[SignalView]) -> list[FeatureDrift]:
    """Each column with its strongest drift signal (a column with none says "no signal")."""
    best: dict[str, SignalView] = {}
    for s in signals:
        if s.column is None or "drift" not in s.kind:
            continue
        held = best.get(s.column)
        if held is None or s.value / (s.threshold or 1.0) > held.value / (held.threshold or 1.0):
            best[s.column] = s
    rows = []
    for column in sorted(set(columns) | set(best)):
        found = best.get(column)
        if found is None:
            rows.append(FeatureDrift(column, "—", None, None, "no signal"))
        else:
            rows.append(
                FeatureDrift(column, found.statistic, found.value, found.threshold, found.level)
            )
    return rows


def _model_values(request: Request, model: str) -> dict[str, Any]:
    store = get_context(request).store
    summary = get_model(store, model=model)
    windows = list_window_profiles(store, model=model, limit=2_000)[-RECENT_WINDOWS:]
    latest = windows[-1] if windows else None
    drift: list[FeatureDrift] = []
    if latest is not None:
        signals = [
            s
            for s in list_signal_views(store, model=model, limit=500)
            if s.window_start == latest.start
        ]
        drift = feature_drift(list(latest.columns), signals)
    return {
        "model": summary,
        "route": get_route_view(store, model=model),
        "windows": list(reversed(windows)),
        "latest": latest,
        "drift": drift,
        "incidents": list_incident_views(store, model=model, limit=10),
    }


@router.get("/models/{model}", response_class=HTMLResponse)
def model_page(model: str, request: Request, visitor: VisitorDep) -> Response:
    """A model: its route, recent windows and each feature's drift in the latest window."""
    try:
        values = _model_values(request, model)
    except UnknownModelError as exc:
        return render(request, "error.html", visitor, status_code=404, error=str(exc))
    return render(request, "model.html", visitor, **values)
