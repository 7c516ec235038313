"""Containment actions and notifications. Functions flush; the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import select
from sqlalchemy.orm import Session

from redline.domain import ActionStatus, ActionType
from redline.errors import StoreError
from redline.store.queries import _add_once, _save_row
from redline.store.tables_actions import ActionRow, NotificationRow

__all__ = [
    "ActionChanges",
    "NotificationChanges",
    "add_action",
    "add_notification",
    "get_action",
    "list_actions",
    "list_notifications",
    "save_action",
    "save_notification",
]


class ActionChanges(TypedDict, total=False):
    """What ``save_action`` may change as an action moves through its states."""

    status: ActionStatus
    params: dict[str, Any]
    before_state: dict[str, Any] | None
    after_state: dict[str, Any] | None
    verification: dict[str, Any] | None
    snapshot_id: str | None
    error: str | None
    applied_at: datetime | None
    verified_at: datetime | None
    failed_at: datetime | None
    reverted_at: datetime | None


class NotificationChanges(TypedDict, total=False):
    """What ``save_notification`` may change after a delivery attempt."""

    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


def add_action(
    session: Session,
    *,
    idempotency_key: str,
    model: str,
    type: ActionType,
    trigger: str,
    params: dict[str, Any],
    requested_at: datetime,
    incident_id: int | None = None,
    status: ActionStatus = ActionStatus.REQUESTED,
    snapshot_id: str | None = None,
    reverts_action_id: int | None = None,
    before_state: dict[str, Any] | None = None,
) -> tuple[ActionRow, bool]:
    """Store an action once per idempotency key; a repeat gives back the first. True if new."""
    row = ActionRow(
        idempotency_key=idempotency_key,
        model=model,
        type=type,
        trigger=trigger,
        params=params,
        requested_at=requested_at,
        incident_id=incident_id,
        status=status,
        snapshot_id=snapshot_id,
        reverts_action_id=reverts_action_id,
        before_state=before_state,
    )
    query = select(ActionRow).where(ActionRow.idempotency_key == idempotency_key)
    action, created = _add_once(session, row, lambda: session.scalars(query).first())
    if not created and (action.model, action.type, action.incident_id) != (
        row.model,
        row.type,
        row.incident_id,
    ):
        raise StoreError(
            f"idempotency key {idempotency_key!r} already belongs to action {action.id} "
            f"({action.type} on {action.model!r}, incident {action.incident_id}); "
            "a different action needs a new key"
        )
    return action, created


def get_action(session: Session, *, action_id: int) -> ActionRow | None:
    """The action with this id, or None."""
    return session.get(ActionRow, action_id)


def list_actions(
    session: Session,
    *,
    incident_id: int | None = None,
    model: str | None = None,
    status: ActionStatus | None = None,
    limit: int = 1000,
) -> list[ActionRow]:
    """Actions matching every filter given, in the order they were requested."""
    query = select(ActionRow)
    if incident_id is not None:
        query = query.where(ActionRow.incident_id == incident_id)
    if model is not None:
        query = query.where(ActionRow.model == model)
    if status is not None:
        query = query.where(ActionRow.status == ActionStatus(status).value)
    query = query.order_by(ActionRow.requested_at, ActionRow.id).limit(limit)
    return list(session.scalars(query))


def save_action(session: Session, *, action_id: int, **changes: Unpack[ActionChanges]) -> ActionRow:
    """Update the given fields of an action."""
    fields = ActionChanges.__required_keys__ | ActionChanges.__optional_keys__
    return _save_row(session, ActionRow, action_id, changes, fields)


def add_notification(
    session: Session,
    *,
    channel: str,
    dedup_key: str,
    event: str,
    payload: dict[str, Any],
    incident_id: int | None = None,
) -> NotificationRow:
    """Queue a notification (``event``: trigger, acknowledge or resolve) as pending."""
    row = NotificationRow(
        channel=channel,
        dedup_key=dedup_key,
        event=event,
        payload=payload,
        incident_id=incident_id,
        status="pending",
        attempts=0,
    )
    session.add(row)
    session.flush()
    return row


def save_notification(
    session: Session, *, notification_id: int, **changes: Unpack[NotificationChanges]
) -> NotificationRow:
    """Update the given fields of a notification (status pending, sent or failed)."""
    fields = NotificationChanges.__required_keys__ | NotificationChanges.__optional_keys__
    return _save_row(session, NotificationRow, notification_id, changes, fields)


def list_notifications(
    session: Session,
    *,
    incident_id: int | None = None,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 100,
) -> list[NotificationRow]:
    """Notifications matching every filter given, oldest first (the order to send them)."""
    query = select(NotificationRow)
    if incident_id is not None:
        query = query.where(NotificationRow.incident_id == incident_id)
    if status is not None:
        query = query.where(NotificationRow.status == status)
    if channel is not None:
        query = query.where(NotificationRow.channel == channel)
    query = query.order_by(NotificationRow.created_at, NotificationRow.id).limit(limit)
    return list(session.scalars(query))
