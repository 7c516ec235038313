"""Use cases: each owns its transaction (one commit per use case).

Names resolve on first use, so a command that only reads incidents does not import the Guard,
numpy or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

_HOME = {
    "ActionError": "redline.services.effects",
    "ActionResult": "redline.services.actions",
    "Guard": "redline.services.embedded",
    "IncidentNotFoundError": "redline.services.incidents",
    "StoreSink": "redline.services.store_sink",
    "apply_action": "redline.services.actions",
    "current_route": "redline.services.routes",
    "list_window_profiles": "redline.services.ingest",
    "open_store": "redline.services.store_access",
    "record_window": "redline.services.ingest",
    "revert_action": "redline.services.actions",
    "route_source": "redline.services.routes",
    "transition_incident": "redline.services.incidents",
}

if TYPE_CHECKING:
    from redline.services.actions import ActionResult, apply_action, revert_action
    from redline.services.effects import ActionError
    from redline.services.embedded import Guard
    from redline.services.incidents import IncidentNotFoundError, transition_incident
    from redline.services.ingest import list_window_profiles, record_window
    from redline.services.routes import current_route, route_source
    from redline.services.store_access import open_store
    from redline.services.store_sink import StoreSink


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'redline.services' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
