"""Read-only use cases: incidents, actions and routes as frozen views, never store rows."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import Any, cast

from redline.domain import (
    ActionStatus,
    ActionType,
    IncidentEvent,
    IncidentStatus,
    RouteState,
    Severity,
    allowed_events,
)
from redline.services.incident_views import (
    IncidentDetail,
    IncidentSummary,
    SignalView,
    TimelineEntry,
)
from redline.services.incidents import IncidentNotFoundError, incident_facts
from redline.services.integrity import first_broken_seq
from redline.store import (
    ActionRow,
    IncidentRow,
    Session,
    Store,
    current_revision,
    get_incident,
    get_route_state,
    list_actions,
    list_incident_signals,
    list_incidents,
    list_route_states,
    list_timeline,
)

__all__ = [
    "ActionView",
    "IncidentDetail",
    "IncidentSummary",
    "RouteView",
    "SignalView",
    "TimelineEntry",
    "get_incident_id",
    "get_incident_view",
    "get_route_view",
    "get_schema_revision",
    "list_action_views",
    "list_incident_views",
    "list_route_views",
]
