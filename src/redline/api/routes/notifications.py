"""``GET /notifications``: the delivery log of pages and messages."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from redline.api.auth import Viewer
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import Limit
from redline.api.schemas_incidents import NotificationRead
from redline.services.records import list_notification_views

__all__ = ["router"]

router = APIRouter(tags=["notifications"], responses=ERROR_RESPONSES)


@router.get("/notifications", response_model=list[NotificationRead])
def list_notifications_route(
    store: StoreDep,
    _: Viewer,
    incident: Annotated[str | None, Query(max_length=64, description="An incident key.")] = None,
    status: Literal["pending", "sending", "sent", "failed"] | None = None,
    channel: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 100,
) -> list[NotificationRead]:
    """Notifications matching every filter given, oldest first."""
    views = list_notification_views(
        store, incident_key=incident, status=status, channel=channel, limit=limit
    )
    return [NotificationRead.model_validate(v.to_dict()) for v in views]
