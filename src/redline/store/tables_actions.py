"""Containment actions and outgoing notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from redline.domain import ActionStatus, ActionType
from redline.store.tables import (
    Base,
    JSONDict,
    UTCDateTime,
    _validate_utc,
    choice_validator,
    utcnow,
)

__all__ = [
    "NOTIFICATION_EVENTS",
    "NOTIFICATION_STATUSES",
    "ActionRow",
    "NotificationRow",
]

# PagerDuty Events v2 event actions, and the delivery states of one notification
# ("sending": claimed by ``claimed_by`` at ``claimed_at``, its delivery under way).
NOTIFICATION_EVENTS = ("trigger", "acknowledge", "resolve")
NOTIFICATION_STATUSES = ("pending", "sending", "sent", "failed")


class ActionRow(Base):
    """One containment action: requested → applied → verified | failed → reverted."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("incidents.id"), nullable=True, index=True
    )
    model: Mapped[str] = mapped_column(String(200), index=True)
    type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    trigger: Mapped[str] = mapped_column(String(200))  # "policy:SEV2" | "person:bob"
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    before_state: Mapped[dict[str, Any] | None] = mapped_column(JSONDict, nullable=True)
    after_state: Mapped[dict[str, Any] | None] = mapped_column(JSONDict, nullable=True)
    verification: Mapped[dict[str, Any] | None] = mapped_column(JSONDict, nullable=True)
    snapshot_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reverts_action_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("actions.id"), nullable=True
    )
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    _utc = validates("requested_at", "applied_at", "verified_at", "failed_at", "reverted_at")(
        _validate_utc
    )
    _choices = validates("type", "status")(
        choice_validator({"type": ActionType, "status": ActionStatus})
    )


class NotificationRow(Base):
    """One message to a channel (pager, chat, e-mail) and how its delivery went."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("incidents.id"), nullable=True, index=True
    )
    channel: Mapped[str] = mapped_column(String(100))
    dedup_key: Mapped[str] = mapped_column(String(200), index=True)
    event: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    _utc = validates("created_at", "sent_at", "claimed_at")(_validate_utc)
    _choices = validates("event", "status")(
        choice_validator({"event": NOTIFICATION_EVENTS, "status": NOTIFICATION_STATUSES})
    )
