"""Notification channels: a generic webhook, a Slack incoming webhook, PagerDuty Events v2."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, SecretStr

from redline.domain import Severity
from redline.playbook.fields import SecretUrl, SeverityName, Strict

__all__ = [
    "PAGERDUTY_EVENTS_URL",
    "Channel",
    "PagerDutyChannel",
    "SlackChannel",
    "WebhookChannel",
]

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class _ChannelBase(Strict):
    """Fields every channel has: which severities it hears about."""

    unknown_key: ClassVar[str] = "unknown channel setting '{name}'"
    label: ClassVar[str] = "channel"
    severities: list[SeverityName] = Field(default_factory=lambda: list(Severity))


class WebhookChannel(_ChannelBase):
    """POST a JSON incident envelope to any URL, with optional headers (e.g. a bearer token)."""

    label: ClassVar[str] = "webhook"
    type: Literal["webhook"]
    url: SecretUrl
    headers: dict[str, SecretStr] = Field(default_factory=dict)


class SlackChannel(_ChannelBase):
    """A Slack incoming webhook; the URL itself is the secret."""

    label: ClassVar[str] = "Slack"
    type: Literal["slack"]
    webhook_url: SecretUrl


class PagerDutyChannel(_ChannelBase):
    """PagerDuty Events API v2 with an integration routing key (dedup_key = incident key)."""

    label: ClassVar[str] = "PagerDuty"
    type: Literal["pagerduty"]
    routing_key: SecretStr
    url: str = PAGERDUTY_EVENTS_URL


Channel = Annotated[WebhookChannel | SlackChannel | PagerDutyChannel, Field(discriminator="type")]
