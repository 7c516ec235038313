"""Served predictions, the labels joined to them, the review queue and snoozes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from redline.store.tables import (
    Base,
    JSONDict,
    UTCDateTime,
    _validate_utc,
    choice_validator,
    utcnow,
)

__all__ = [
    "LABEL_SOURCES",
    "REVIEW_DECISIONS",
    "REVIEW_STATUSES",
    "LabelRow",
    "PredictionRow",
    "ReviewItemRow",
    "SnoozeRow",
]

# Where a label came from, how far a review item got, and what a reviewer may decide.
LABEL_SOURCES = ("feedback", "review")
REVIEW_STATUSES = ("pending", "decided")
REVIEW_DECISIONS = ("accept", "override", "reject", "escalate")

_check_decision = choice_validator({"decision": REVIEW_DECISIONS})


def _optional_decision(row: object, key: str, value: str | None) -> str | None:
    return None if value is None else _check_decision(row, key, value)


class PredictionRow(Base):
    """One served prediction, kept so that labels arriving later can be joined to it."""

    __tablename__ = "predictions"
    __table_args__ = (UniqueConstraint("model", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str] = mapped_column(String(200))
    window_id: Mapped[str | None] = mapped_column(
        String(200), ForeignKey("windows.id", ondelete="SET NULL"), nullable=True, index=True
    )
    value: Mapped[Any] = mapped_column(JSONDict)
    route: Mapped[str] = mapped_column(String(32))
    served_at: Mapped[datetime] = mapped_column(UTCDateTime)

    _utc = validates("served_at")(_validate_utc)


class LabelRow(Base):
    """One label of a prediction; a request may get several, the latest one counts."""

    __tablename__ = "labels"
    __table_args__ = (
        Index("ix_labels_model_request_id", "model", "request_id"),
        Index("ix_labels_model_scored_at", "model", "scored_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str] = mapped_column(String(200))
    label: Mapped[Any] = mapped_column(JSONDict)
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When realized performance first counted it: unscored labels mark windows to re-evaluate.
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    _utc = validates("received_at", "scored_at")(_validate_utc)
    _choices = validates("source")(choice_validator({"source": LABEL_SOURCES}))


class ReviewItemRow(Base):
    """A prediction routed to people, and what they decided about it."""

    __tablename__ = "review_items"
    # The pending queue, oldest first (0006).
    __table_args__ = (Index("ix_review_items_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(200), index=True)
    request_id: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("incidents.id"), nullable=True, index=True
    )
    reason: Mapped[str] = mapped_column(String(200))  # "low_confidence" | "filter:..." | ...
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    input: Mapped[Any] = mapped_column(JSONDict)
    output: Mapped[Any] = mapped_column(JSONDict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    final_output: Mapped[Any | None] = mapped_column(JSONDict, nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    _utc = validates("created_at", "decided_at")(_validate_utc)
    _status = validates("status")(choice_validator({"status": REVIEW_STATUSES}))
    _decision = validates("decision")(_optional_decision)


class SnoozeRow(Base):
    """Signals whose fingerprint matches the pattern open no incident until ``until``."""

    __tablename__ = "snoozes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint_pattern: Mapped[str] = mapped_column(String(1000))
    until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    _utc = validates("until", "created_at")(_validate_utc)

    @validates("reason", "fingerprint_pattern")
    def _not_blank(self, key: str, value: str) -> str:
        if not value.strip():
            raise ValueError(f"a snooze needs a non-empty {key.replace('_', ' ')}")
        return value
