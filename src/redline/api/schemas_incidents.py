"""Response bodies about incidents, actions, reviews, snoozes, pages and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from redline.api.schemas_read import SignalRead
from redline.domain import ActionStatus, ActionType, IncidentEvent, IncidentStatus, Severity

__all__ = [
    "AcknowledgementRead",
    "ActionRead",
    "ActionResultRead",
    "ChainBreakRead",
    "ChainReportRead",
    "EventOptionRead",
    "IncidentDetailRead",
    "IncidentRead",
    "NoteRead",
    "NotificationRead",
    "RestoreRead",
    "ReviewItemRead",
    "SignalCountRead",
    "SnoozeRead",
    "TimelineEntryRead",
    "TransitionRead",
]


class IncidentRead(BaseModel):
    """An incident as a listing shows it."""

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


class TimelineEntryRead(BaseModel):
    """One timeline event; ``verified`` while the hash chain holds up to it."""

    seq: int
    at: datetime
    actor: str
    kind: str
    details: dict[str, Any]
    hash: str
    verified: bool


class ActionRead(BaseModel):
    """A containment action: what was asked, by whom, and how far it got."""

    id: int
    model: str
    type: ActionType
    status: ActionStatus
    trigger: str
    incident_key: str | None
    params: dict[str, Any]
    revision: int | None
    error: str | None
    idempotency_key: str
    requested_at: datetime
    applied_at: datetime | None
    verified_at: datetime | None
    failed_at: datetime | None
    reverted_at: datetime | None


class EventOptionRead(BaseModel):
    """An event the status machine defines from the incident's status, and whether it would
    succeed now, once the fields in ``needs`` are given, or why not (``refusal``)."""

    event: IncidentEvent
    allowed: bool
    needs: list[str]
    refusal: str


class SignalCountRead(BaseModel):
    """How many of an incident's signals share a monitor, kind, column, statistic and level."""

    monitor: str
    kind: str
    column: str | None
    statistic: str
    level: str
    count: int
    first_seen: datetime | None
    last_seen: datetime | None


class IncidentDetailRead(BaseModel):
    """An incident with its newest signals (all of them counted), actions and timeline."""

    incident: IncidentRead
    policy_version: str
    postmortem_required: bool
    postmortem_status: str | None
    resolution_reason: str | None
    first_signal_at: datetime | None
    last_signal_at: datetime | None
    next_events: list[IncidentEvent]
    allowed_events: list[IncidentEvent]
    options: list[EventOptionRead]
    signals: list[SignalRead] = Field(
        description="The newest linked signals (500 at most), oldest first; signals_total "
        "counts every one, signal_counts per finding and level"
    )
    signals_total: int
    signal_counts: list[SignalCountRead]
    actions: list[ActionRead]
    timeline: list[TimelineEntryRead]
    broken_seq: int | None
    chain_intact: bool


class TransitionRead(BaseModel):
    """Where an incident stands after a transition."""

    key: str
    status: IncidentStatus


class RestoreRead(BaseModel):
    """The restore action asked for: verified once the primary passes canaries and a window."""

    key: str
    action_id: int


class AcknowledgementRead(BaseModel):
    """Who acknowledged an incident; ``new`` is false when someone already had."""

    key: str
    actor: str
    acknowledged_at: datetime
    new: bool


class NoteRead(BaseModel):
    """A note as written on the timeline."""

    incident_key: str
    actor: str
    at: datetime
    text: str
    hash: str


class ActionResultRead(BaseModel):
    """What applying or reverting an action did."""

    action_id: int
    type: ActionType
    status: ActionStatus
    revision: int | None
    created: bool
    error: str | None


class ReviewItemRead(BaseModel):
    """A prediction held for people, and what they decided."""

    id: int
    model: str
    request_id: str
    reason: str
    confidence: float | None
    threshold: float | None
    input: Any
    output: Any
    status: str
    decision: str | None
    final_output: Any
    reviewer: str | None
    incident: str | None
    created_at: datetime
    decided_at: datetime | None


class SnoozeRead(BaseModel):
    """A snooze of matching signals until a set time."""

    id: int
    fingerprint_pattern: str
    until: datetime
    reason: str
    created_by: str
    created_at: datetime


class NotificationRead(BaseModel):
    """One message to a channel and how its delivery went."""

    id: int
    incident_id: int | None
    channel: str
    event: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class ChainBreakRead(BaseModel):
    """The first entry of a chain that fails its hash check."""

    chain: str
    incident_key: str | None
    seq: int


class ChainReportRead(BaseModel):
    """What an audit verification read, and where any chain breaks."""

    intact: bool
    timelines: int
    timeline_entries: int
    audit_entries: int
    breaks: list[ChainBreakRead]
