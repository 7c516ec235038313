"""Use cases: each owns its transaction (one commit per use case)."""

from __future__ import annotations

from redline.services.actions import ActionResult, apply_action, revert_action
from redline.services.effects import ActionError
from redline.services.embedded import Guard, open_store
from redline.services.incidents import IncidentNotFoundError, transition_incident
from redline.services.ingest import StoreSink, list_window_profiles, record_window
from redline.services.routes import current_route, route_source

__all__ = [
    "ActionError",
    "ActionResult",
    "Guard",
    "IncidentNotFoundError",
    "StoreSink",
    "apply_action",
    "current_route",
    "list_window_profiles",
    "open_store",
    "record_window",
    "revert_action",
    "route_source",
    "transition_incident",
]
