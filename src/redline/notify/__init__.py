"""Notifications: render an incident notice for a channel and deliver it over HTTP."""

from __future__ import annotations

from redline.notify.channels import (
    NOTICE_SCHEMA,
    PAGERDUTY_EVENTS_URL,
    Channel,
    ChannelRequest,
    PagerDutyChannel,
    SlackChannel,
    WebhookChannel,
)
from redline.notify.delivery import DeliveryResult, DeliveryStatus, Notifier, deliver
from redline.notify.message import IncidentNotice, NoticeError, NoticeEvent, truncate

__all__ = [
    "NOTICE_SCHEMA",
    "PAGERDUTY_EVENTS_URL",
    "Channel",
    "ChannelRequest",
    "DeliveryResult",
    "DeliveryStatus",
    "IncidentNotice",
    "NoticeError",
    "NoticeEvent",
    "Notifier",
    "PagerDutyChannel",
    "SlackChannel",
    "WebhookChannel",
    "deliver",
    "truncate",
]
