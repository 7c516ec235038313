"""Read-only use cases: incidents, actions and routes as frozen views, never store rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redline.domain import IncidentEvent, IncidentStatus, RouteState, Severity, allowed_events
from redline.domain.containment import departures
from redline.domain.transitions import TRANSITIONS, event_options
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.containment import containment_in_force
from redline.services.incidents import IncidentNotFoundError, incident_facts
from redline.services.integrity import first_broken_seq
from redline.services.result_types import ColumnResult, WindowResults
from redline.services.view_types import (
    ActionView,
    IncidentDetail,
    IncidentSummary,
    ModelActivity,
    SignalCount,
    SignalView,
    TimelineEntry,
    View,
)
from redline.store import (
    ActionRow,
    IncidentRow,
    RouteStateRow,
    Session,
    Store,
    WindowRow,
    count_open_incidents,
    current_revision,
    get_incident,
    get_latest_reference,
    get_latest_window,
    list_actions,
    list_incident_signals,
    list_incidents,
    list_route_states,
    list_signal_tallies,
    list_timeline,
    list_windows,
)

__all__ = [
    "SIGNALS_SHOWN",
    "ActionView",
    "ColumnResult",
    "IncidentDetail",
    "IncidentSummary",
    "ModelActivity",
    "RouteView",
    "SchemaStatus",
    "SignalCount",
    "SignalView",
    "TimelineEntry",
    "View",
    "WindowResults",
    "count_open_by_model",
    "count_open_by_severity",
    "get_incident_id",
    "get_incident_view",
    "get_model_activity",
    "get_route_view",
    "get_schema_status",
    "list_action_views",
    "list_in_force_views",
    "list_incident_views",
    "list_route_views",
    "next_events",
    "require_incident",
]

#: The newest signals an incident view carries in full; older ones are counted. An incident a
#: recurring drift keeps reopening gathers thousands, and its page must not grow with them.
SIGNALS_SHOWN = 500


@dataclass(frozen=True, slots=True)
class RouteView(View):
    """One RouteState revision of a model, and what it changed from the one before."""

    computed = ("revision", "departures", "degraded")

    model: str
    state: RouteState
    created_at: datetime | None
    created_by: str | None
    changes: Mapping[str, Any]

    @property
    def revision(self) -> int:
        """The revision number (0: nothing stored yet, the primary serves)."""
        return self.state.revision

    @property
    def departures(self) -> tuple[str, ...]:
        """How this route departs from the primary (fallback, review, filters...); empty if none."""
        return departures(self.state)

    @property
    def degraded(self) -> bool:
        """Off the primary route."""
        return bool(self.departures)

    @classmethod
    def from_row(cls, row: RouteStateRow, previous: RouteState | None) -> RouteView:
        """The view of a stored revision; ``changes`` compares it with ``previous``."""
        state = RouteState.from_dict(row.state)
        before = (previous or RouteState(model=row.model)).to_dict()
        after = state.to_dict()
        changes = {
            k: v for k, v in after.items() if k not in {"revision", "model"} and before.get(k) != v
        }
        return cls(row.model, state, row.created_at, row.created_by, changes)


@dataclass(frozen=True, slots=True)
class SchemaStatus(View):
    """Where the store is (its URL without a password) and the migration it is at."""

    store: str
    revision: str | None


def require_incident(session: Session, *, key: str) -> IncidentRow:
    """The incident with this key; raises IncidentNotFoundError naming where to find keys."""
    row = get_incident(session, key=key)
    if row is None:
        raise IncidentNotFoundError(f"no incident {key!r}; `redline incidents list` shows them")
    return row


def _action_views(session: Session, rows: Sequence[ActionRow]) -> list[ActionView]:
    keys: dict[int, str] = {}
    for incident_id in {r.incident_id for r in rows if r.incident_id is not None}:
        incident = get_incident(session, incident_id=incident_id)
        if incident is not None:
            keys[incident_id] = incident.key
    return [
        ActionView.from_row(
            r, incident_key=None if r.incident_id is None else keys.get(r.incident_id)
        )
        for r in rows
    ]


def next_events(status: IncidentStatus) -> tuple[IncidentEvent, ...]:
    """The events the transition table defines from ``status``, whatever their guards say."""
    defined = {rule.event for rule in TRANSITIONS if status in rule.sources}
    return tuple(e for e in IncidentEvent if e in defined)


def list_incident_views(
    store: Store,
    *,
    model: str | None = None,
    statuses: Iterable[IncidentStatus] = (),
    severity: Severity | None = None,
    open_only: bool = False,
    limit: int = 100,
) -> list[IncidentSummary]:
    """Incidents matching every filter given, most recently detected first."""
    wanted = [IncidentStatus(s) for s in statuses]
    with store.reading() as session:
        rows = list_incidents(
            session,
            model=model,
            status=wanted or None,
            severity=severity,
            open_only=open_only,
            limit=limit,
        )
        return [IncidentSummary.from_row(r) for r in rows]


def get_incident_id(store: Store, *, key: str) -> int:
    """The id of the incident with this key; raises IncidentNotFoundError."""
    with store.reading() as session:
        return require_incident(session, key=key).id


def get_incident_view(store: Store, *, key: str) -> IncidentDetail:
    """One incident with its signals, actions and timeline (each event marked if verified)."""
    with store.reading() as session:
        row = require_incident(session, key=key)
        events = list_timeline(session, incident_id=row.id)
        broken = first_broken_seq(events)
        timeline = tuple(
            TimelineEntry.from_row(e, verified=broken is None or e.seq < broken) for e in events
        )
        signals = list_incident_signals(session, incident_id=row.id, newest=SIGNALS_SHOWN)
        counts = tuple(
            SignalCount(*tally) for tally in list_signal_tallies(session, incident_id=row.id)
        )
        actions = _action_views(session, list_actions(session, incident_id=row.id))
        facts = incident_facts(session, row)
        return IncidentDetail(
            incident=IncidentSummary.from_row(row),
            policy_version=row.policy_version,
            postmortem_required=facts.needs_postmortem,
            postmortem_status=row.postmortem_status,
            resolution_reason=row.resolution_reason,
            first_signal_at=row.first_signal_at,
            last_signal_at=row.last_signal_at,
            next_events=next_events(IncidentStatus(row.status)),
            allowed_events=allowed_events(IncidentStatus(row.status), facts),
            options=event_options(IncidentStatus(row.status), facts),
            signals=tuple(SignalView.from_row(s) for s in signals),
            actions=tuple(actions),
            timeline=timeline,
            broken_seq=broken,
            aware_at=row.aware_at,
            signals_total=sum(c.count for c in counts),
            signal_counts=counts,
        )


def list_action_views(
    store: Store, *, model: str | None = None, incident_key: str | None = None, limit: int = 1000
) -> list[ActionView]:
    """Actions matching every filter given, in the order they were requested."""
    with store.reading() as session:
        incident_id = (
            None if incident_key is None else require_incident(session, key=incident_key).id
        )
        rows = list_actions(session, model=model, incident_id=incident_id, limit=limit)
        return _action_views(session, rows)


def list_in_force_views(store: Store, *, model: str) -> list[ActionView]:
    """The containment actions whose change to ``model``'s route is still in place."""
    with store.reading() as session:
        return _action_views(session, containment_in_force(list_actions(session, model=model)))


def list_route_views(store: Store, *, model: str) -> list[RouteView]:
    """Every stored RouteState revision of ``model``, oldest first, with what each changed."""
    with store.reading() as session:
        rows = list_route_states(session, model=model)
    views: list[RouteView] = []
    previous: RouteState | None = None
    for row in rows:
        view = RouteView.from_row(row, previous)
        views.append(view)
        previous = view.state
    return views


def get_route_view(store: Store, *, model: str) -> RouteView:
    """The RouteState ``model`` obeys now (revision 0, serving the primary, when none is stored)."""
    history = list_route_views(store, model=model)
    if history:
        return history[-1]
    return RouteView(model, RouteState(model=model), None, None, {})


def get_schema_status(store: Store) -> SchemaStatus:
    """The store's address and migration (None if it was never migrated)."""
    address = store.engine.url.render_as_string(hide_password=True)
    return SchemaStatus(address, current_revision(store.engine))


def count_open_by_severity(store: Store, *, model: str | None = None) -> dict[Severity, int]:
    """Open incidents per severity (every severity listed, zero when none), counted in SQL."""
    counts = dict.fromkeys(Severity, 0)
    for named, by_severity in count_open_by_model(store).items():
        if model is None or named == model:
            for severity, n in by_severity.items():
                counts[severity] += n
    return counts


def count_open_by_model(store: Store) -> dict[str, dict[Severity, int]]:
    """Open incidents per model and severity (models with none are left out), counted in SQL."""
    counts: dict[str, dict[Severity, int]] = {}
    with store.reading() as session:
        for named, severity, n in count_open_incidents(session):
            counts.setdefault(named, {})[Severity(severity)] = n
    return counts


def _latest_windows(session: Session, *, model: str, limit: int) -> list[WindowRow]:
    """The ``limit`` windows of ``model`` that started last, oldest first.

    The store lists windows oldest first from a start time, so this guesses the start time
    from the latest window's length and widens the guess until enough windows are in view;
    each query reads a bounded slice through the (model, start) index, never the history.
    """
    latest = get_latest_window(session, model=model)
    if latest is None:
        return []
    # Windows follow each other, so a quarter more than ``limit`` lengths usually holds them all.
    span = max(latest.end - latest.start, timedelta(seconds=1)) * 5 / 4
    rows: list[WindowRow] = []
    for _ in range(_WIDENINGS):
        since = latest.start - span * limit
        rows = list_windows(session, model=model, since=since, limit=_SLICE * limit)
        # A full slice may have cut off the newest windows: skip ahead until it does not.
        while len(rows) == _SLICE * limit and rows[-limit].start > since:
            since = rows[-limit].start
            rows = list_windows(session, model=model, since=since, limit=_SLICE * limit)
        if len(rows) >= limit:
            break
        span *= 4
    return rows[-limit:]


#: Read windows in slices of this many times the count wanted; widen the guess this often.
_SLICE = 3
_WIDENINGS = 8


def get_model_activity(store: Store, *, model: str, windows: int = 30) -> ModelActivity:
    """The model's latest reference and its last ``windows`` window profiles, oldest first,
    with the monitors' results stored with each."""
    with store.reading() as session:
        reference = get_latest_reference(session, model=model)
        rows = _latest_windows(session, model=model, limit=max(windows, 1))
        return ModelActivity(
            model=model,
            reference=None if reference is None else Reference.from_dict(reference.payload),
            windows=tuple(WindowProfile.from_dict(r.payload) for r in rows),
            results=tuple(WindowResults.from_document(r.results) for r in rows),
        )
