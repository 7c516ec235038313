"""The frozen views of incidents and actions, and how each is built from a store row."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, cast

from redline.domain import (
    ActionStatus,
    ActionType,
    IncidentEvent,
    IncidentStatus,
    Severity,
)
from redline.domain.transitions import EventOption
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.store import ActionRow, IncidentRow, SignalRow, TimelineEventRow

if TYPE_CHECKING:  # result_types builds on View, defined here
    from redline.services.result_types import WindowResults

__all__ = [
    "ActionView",
    "IncidentDetail",
    "IncidentSummary",
    "ModelActivity",
    "SignalCount",
    "SignalView",
    "TimelineEntry",
    "View",
]


def _plain(value: Any) -> Any:
    """``value`` as JSON: times in ISO 8601, enums as values, non-finite floats as None."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "to_dict"):
        return _plain(value.to_dict())
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class View:
    """Base of every view: a frozen dataclass that turns itself into JSON-ready data."""

    __slots__ = ()
    #: Properties that the JSON form carries besides the fields.
    computed: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy: times in ISO 8601, enums as their values."""
        names = [f.name for f in fields(cast(Any, self))] + list(self.computed)
        return {name: _plain(getattr(self, name)) for name in names}


@dataclass(frozen=True, slots=True)
class IncidentSummary(View):
    """One incident as a listing shows it."""

    key: str
    model: str
    title: str
    category: str
    severity: Severity
    status: IncidentStatus
    detected_at: datetime
    acknowledged_at: datetime | None
    contained_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: IncidentRow) -> IncidentSummary:
        """The summary of a stored incident."""
        return cls(
            row.key,
            row.model,
            row.title,
            row.category,
            Severity(row.severity),
            IncidentStatus(row.status),
            row.detected_at,
            row.acknowledged_at,
            row.contained_at,
            row.resolved_at,
            row.closed_at,
            row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class SignalView(View):
    """A signal linked to an incident, with the evidence its monitor kept."""

    id: int
    monitor: str
    kind: str
    column: str | None
    statistic: str
    value: float
    threshold: float
    level: str
    window_start: datetime | None
    window_end: datetime | None
    source: str
    status: str
    evidence: Mapping[str, Any]

    @property
    def top_moves(self) -> list[Mapping[str, Any]]:
        """The bins whose share moved most (drift signals), largest first."""
        moves = self.evidence.get("top_moves")
        return list(moves) if isinstance(moves, list) else []

    @classmethod
    def from_row(cls, row: SignalRow) -> SignalView:
        """The view of a stored signal."""
        return cls(
            row.id,
            row.monitor,
            row.kind,
            row.column,
            row.statistic,
            row.value,
            row.threshold,
            row.level,
            row.window_start,
            row.window_end,
            row.source,
            row.status,
            dict(row.evidence),
        )


@dataclass(frozen=True, slots=True)
class SignalCount(View):
    """How many of an incident's signals one monitor raised on a column, statistic and level,
    and when the first and the last of their windows ended."""

    monitor: str
    kind: str
    column: str | None
    statistic: str
    level: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass(frozen=True, slots=True)
class TimelineEntry(View):
    """One event of an incident's timeline; ``verified`` when the chain holds up to it."""

    seq: int
    at: datetime
    actor: str
    kind: str
    details: Mapping[str, Any]
    hash: str
    verified: bool

    @classmethod
    def from_row(cls, row: TimelineEventRow, *, verified: bool) -> TimelineEntry:
        """The view of a stored timeline event."""
        return cls(row.seq, row.at, row.actor, row.kind, dict(row.details), row.hash, verified)


@dataclass(frozen=True, slots=True)
class ActionView(View):
    """One containment action: what was asked, by whom, and how far it got."""

    id: int
    model: str
    type: ActionType
    status: ActionStatus
    trigger: str
    incident_key: str | None
    params: Mapping[str, Any]
    revision: int | None
    error: str | None
    idempotency_key: str
    requested_at: datetime
    applied_at: datetime | None
    verified_at: datetime | None
    failed_at: datetime | None
    reverted_at: datetime | None

    @classmethod
    def from_row(cls, row: ActionRow, *, incident_key: str | None) -> ActionView:
        """The view of a stored action; ``incident_key`` names the incident it belongs to."""
        revision = (row.after_state or {}).get("revision")
        return cls(
            id=row.id,
            model=row.model,
            type=ActionType(row.type),
            status=ActionStatus(row.status),
            trigger=row.trigger,
            incident_key=incident_key,
            params=dict(row.params),
            revision=None if revision is None else int(revision),
            error=row.error,
            idempotency_key=row.idempotency_key,
            requested_at=row.requested_at,
            applied_at=row.applied_at,
            verified_at=row.verified_at,
            failed_at=row.failed_at,
            reverted_at=row.reverted_at,
        )


@dataclass(frozen=True, slots=True)
class IncidentDetail(View):
    """Everything ``incidents show`` needs: the incident, its evidence, actions and timeline."""

    computed = ("chain_intact",)

    incident: IncidentSummary
    policy_version: str
    postmortem_required: bool
    postmortem_status: str | None
    resolution_reason: str | None
    first_signal_at: datetime | None
    last_signal_at: datetime | None
    next_events: tuple[IncidentEvent, ...]
    allowed_events: tuple[IncidentEvent, ...]
    signals: tuple[SignalView, ...]
    actions: tuple[ActionView, ...]
    timeline: tuple[TimelineEntry, ...]
    broken_seq: int | None
    aware_at: datetime | None = None
    #: Each event defined from the status: allowed now, allowed once a field is filled, or why not.
    options: tuple[EventOption, ...] = ()
    #: Every linked signal, counted; ``signals`` holds the newest of them (all when few).
    signals_total: int = 0
    #: Exact counts and spans of every linked signal per monitor, kind, column, statistic, level.
    signal_counts: tuple[SignalCount, ...] = ()

    @property
    def chain_intact(self) -> bool:
        """True when every timeline event is sealed by its hash."""
        return self.broken_seq is None


@dataclass(frozen=True, slots=True)
class ModelActivity(View):
    """What a model page charts: the stored reference and the latest windows, oldest first,
    each with the monitors' results stored with it (None for a window stored without)."""

    model: str
    reference: Reference | None
    windows: tuple[WindowProfile, ...]
    results: tuple[WindowResults | None, ...] = ()

    @property
    def latest(self) -> WindowProfile | None:
        """The window that started last, or None before the first."""
        return self.windows[-1] if self.windows else None
