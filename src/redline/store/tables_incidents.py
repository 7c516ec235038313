"""Incidents, the signals linked to them, and the two hash chains: timeline and audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from redline.domain import IncidentStatus, Severity
from redline.store.tables import (
    Base,
    JSONDict,
    UTCDateTime,
    _validate_utc,
    choice_validator,
    utcnow,
)

__all__ = [
    "AuditEntryRow",
    "CounterRow",
    "IncidentRow",
    "IncidentSignalRow",
    "TimelineEventRow",
]

HASH_LENGTH = 64  # hex sha256


class CounterRow(Base):
    """A named counter (incident keys per year, chain locks), bumped atomically."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class IncidentRow(Base):
    """One incident: what happened to which model, how bad, and the times that matter."""

    __tablename__ = "incidents"
    # The dashboard lists a model's newest incidents (0006); detected_at alone serves all models.
    __table_args__ = (Index("ix_incidents_model_detected_at", "model", "detected_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    model: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(32), index=True)
    containment_state: Mapped[str | None] = mapped_column(String(64), nullable=True)
    policy_version: Mapped[str] = mapped_column(String(100))
    impact_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    impact_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    affected_decisions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    first_signal_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    contained_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Regulatory clock inputs (EU AI Act Art. 73): when the provider became aware, and when
    # a causal link between the system and the harm was established.
    aware_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    causal_link_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    postmortem_required: Mapped[bool] = mapped_column(Boolean, default=False)
    postmortem_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    evidence_hold: Mapped[bool] = mapped_column(Boolean, default=True)
    last_signal_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    _utc = validates(
        "impact_start",
        "impact_end",
        "first_signal_at",
        "detected_at",
        "acknowledged_at",
        "contained_at",
        "resolved_at",
        "closed_at",
        "aware_at",
        "causal_link_at",
        "last_signal_at",
        "created_at",
        "updated_at",
    )(_validate_utc)
    _choices = validates("severity", "status")(
        choice_validator({"severity": Severity, "status": IncidentStatus})
    )


class IncidentSignalRow(Base):
    """A signal linked to an incident; a signal may feed several incidents."""

    __tablename__ = "incident_signals"

    incident_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    signal_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("signals.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    _utc = validates("linked_at")(_validate_utc)


class TimelineEventRow(Base):
    """One append-only, hash-chained event of an incident; corrections are new events."""

    __tablename__ = "timeline_events"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(Integer, ForeignKey("incidents.id"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))  # "person:alice" | "system" | "policy:..."
    kind: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))

    _utc = validates("at")(_validate_utc)


class AuditEntryRow(Base):
    """One entry of the system-wide, append-only, hash-chained audit log."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(500), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))

    _utc = validates("at")(_validate_utc)
