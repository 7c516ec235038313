"""Lookups and checks the API needs: signals, the delivery log, actions, checked registrations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.domain import ActionType, Level
from redline.errors import RedlineError
from redline.services.artifacts import ArtifactError, describe_artifact
from redline.services.registry import ModelVersion, list_versions, register_version
from redline.services.view_types import ActionView, SignalView, View
from redline.services.views import require_incident
from redline.store import (
    NotificationRow,
    Store,
    get_action,
    get_action_by_key,
    get_incident,
    list_notifications,
    list_signals,
)

__all__ = [
    "ActionKeyConflictError",
    "ActionNotFoundError",
    "NotificationView",
    "VersionConflictError",
    "check_action_key",
    "get_action_view",
    "list_notification_views",
    "list_signal_views",
    "register_checked",
]


class ActionNotFoundError(RedlineError):
    """No action has this id."""


class ActionKeyConflictError(RedlineError):
    """An idempotency key already belongs to a different action."""


class VersionConflictError(RedlineError):
    """A version name is already registered with another artifact."""


@dataclass(frozen=True, slots=True)
class NotificationView(View):
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

    @classmethod
    def from_row(cls, row: NotificationRow) -> NotificationView:
        """The view of a stored notification (its payload stays in the store)."""
        return cls(
            *(row.id, row.incident_id, row.channel, row.event, row.status, row.attempts),
            *(row.last_error, row.created_at, row.sent_at),
        )


def list_signal_views(
    store: Store,
    *,
    model: str | None = None,
    level: Level | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[SignalView]:
    """Stored signals matching every filter given, newest first."""
    with store.reading() as session:
        rows = list_signals(session, model=model, level=level, since=since, limit=limit)
        return [SignalView.from_row(row) for row in rows]


def list_notification_views(
    store: Store,
    *,
    incident_key: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    limit: int = 100,
) -> list[NotificationView]:
    """The delivery log, oldest first, filtered by incident, status and channel."""
    with store.reading() as session:
        incident = None if incident_key is None else require_incident(session, key=incident_key)
        rows = list_notifications(
            session,
            incident_id=None if incident is None else incident.id,
            status=status,
            channel=channel,
            limit=limit,
        )
        return [NotificationView.from_row(row) for row in rows]


def get_action_view(store: Store, *, action_id: int) -> ActionView:
    """One action; raises ActionNotFoundError."""
    with store.reading() as session:
        row = get_action(session, action_id=action_id)
        if row is None:
            raise ActionNotFoundError(f"no action {action_id}; GET /api/v1/actions lists them")
        incident = None
        if row.incident_id is not None:
            incident = get_incident(session, incident_id=row.incident_id)
        return ActionView.from_row(row, incident_key=None if incident is None else incident.key)


def check_action_key(
    store: Store, *, key: str, model: str, type: ActionType, incident_id: int | None
) -> None:
    """Refuse an idempotency key that already names another action (a repeat is fine)."""
    with store.session() as session:
        row = get_action_by_key(session, idempotency_key=key)
    if row is None or (row.model, row.type, row.incident_id) == (model, type.value, incident_id):
        return
    raise ActionKeyConflictError(
        f"idempotency key {key!r} already belongs to action {row.id} ({row.type} on "
        f"{row.model!r}); a different action needs a new key"
    )


def register_checked(
    store: Store,
    *,
    model: str,
    version: str,
    artifact: str,
    sha256: str | None,
    actor: str,
    training_data_version: str | None = None,
    metrics: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Register ``artifact`` as ``version`` once its sha256 matches ``sha256`` (when given)."""
    try:
        uri, digest = describe_artifact(artifact)
    except (OSError, RuntimeError, ValueError) as exc:
        raise ArtifactError(f"{artifact}: cannot be read ({exc})") from exc
    if sha256 is not None and sha256.lower() != digest:
        raise ArtifactError(f"{uri} has sha256 {digest}, not the {sha256.lower()} you sent")
    known = {v.version: v.sha256 for v in list_versions(store, model)}
    if known.get(version, digest) != digest:
        raise VersionConflictError(
            f"model {model!r} version {version!r} is registered with sha256 {known[version]}; "
            "a changed artifact needs a new version"
        )
    return register_version(
        store,
        model=model,
        version=version,
        artifact=artifact,
        training_data_version=training_data_version,
        metrics=metrics,
        actor=actor,
    )
