"""Channels turn an IncidentNotice into one HTTP request: generic webhook, Slack, PagerDuty."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from redline.domain import Severity
from redline.notify.message import IncidentNotice, NoticeEvent, truncate

__all__ = [
    "NOTICE_SCHEMA",
    "PAGERDUTY_EVENTS_URL",
    "Channel",
    "ChannelRequest",
    "PagerDutyChannel",
    "SlackChannel",
    "WebhookChannel",
]

NOTICE_SCHEMA = "redline.notice/1"
PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
USER_AGENT = "redline-notify/1"
JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": USER_AGENT}

PAGERDUTY_SEVERITY = {
    Severity.SEV1: "critical",
    Severity.SEV2: "error",
    Severity.SEV3: "warning",
}
PAGERDUTY_SUMMARY_MAX = 1024
SLACK_COLOUR = {Severity.SEV1: "#d7263d", Severity.SEV2: "#f28c28", Severity.SEV3: "#f2c14e"}
SLACK_RESOLVED_COLOUR = "#2eb67d"
SLACK_HEADER_MAX = 150  # Slack rejects longer plain_text in a header block
SLACK_TEXT_MAX = 3000


@dataclass(frozen=True)
class ChannelRequest:
    """The HTTP request a channel wants sent; ``secrets`` must never be shown to anyone."""

    method: str
    url: str
    json: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()


@runtime_checkable
class Channel(Protocol):
    """Anything with a name that can render a notice as one HTTP request."""

    @property
    def name(self) -> str:
        """The channel's name in settings and delivery results."""
        ...

    def build_request(self, notice: IncidentNotice) -> ChannelRequest:
        """Render ``notice`` as the request this channel's receiver expects."""
        ...


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs the notice as schema-versioned JSON to any URL."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    name: str = "webhook"

    def build_request(self, notice: IncidentNotice) -> ChannelRequest:
        """``{"schema": "redline.notice/1", **notice.to_dict()}`` with the configured headers."""
        return ChannelRequest(
            method="POST",
            url=self.url,
            json={"schema": NOTICE_SCHEMA, **notice.to_dict()},
            headers={**JSON_HEADERS, **self.headers},
            secrets=tuple(self.headers.values()),
        )


@dataclass(frozen=True)
class SlackChannel:
    """Posts to a Slack incoming webhook: fallback text, blocks, and a severity-coloured bar."""

    webhook_url: str
    name: str = "slack"

    def build_request(self, notice: IncidentNotice) -> ChannelRequest:
        """A Slack incoming-webhook message for ``notice``."""
        return ChannelRequest(
            method="POST", url=self.webhook_url, json=_slack_message(notice), headers=JSON_HEADERS
        )


@dataclass(frozen=True)
class PagerDutyChannel:
    """Sends PagerDuty Events API v2 events; the incident key is the dedup key."""

    routing_key: str
    url: str = PAGERDUTY_EVENTS_URL
    group: str = "redline"
    name: str = "pagerduty"

    def build_request(self, notice: IncidentNotice) -> ChannelRequest:
        """An Events v2 trigger, acknowledge or resolve event for ``notice``."""
        return ChannelRequest(
            method="POST",
            url=self.url,
            json=_pagerduty_event(notice, routing_key=self.routing_key, group=self.group),
            headers=JSON_HEADERS,
            secrets=(self.routing_key,),
        )


def _slack_escape(text: str) -> str:
    """Escape the three characters Slack mrkdwn reserves."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_message(notice: IncidentNotice) -> dict[str, Any]:
    """The incoming-webhook payload: ``text`` fallback, ``blocks``, coloured ``attachments``."""
    fallback = f"{notice.headline} ({notice.model}): {notice.event.value}"
    fields = [
        ("Severity", notice.severity.value),
        ("Model", notice.model),
        ("Status", notice.status.value),
        ("Event", notice.event.value),
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": truncate(notice.headline, SLACK_HEADER_MAX)},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{_slack_escape(value)}"}
                for label, value in fields
            ],
        },
    ]
    if notice.url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in redline"},
                        "url": notice.url,
                    }
                ],
            }
        )
    resolved = notice.event is NoticeEvent.RESOLVE
    colour = SLACK_RESOLVED_COLOUR if resolved else SLACK_COLOUR[notice.severity]
    attachment = {
        "color": colour,
        "fallback": fallback,
        "text": truncate(_slack_escape(notice.summary or notice.title), SLACK_TEXT_MAX),
        "footer": f"redline · {notice.key}",
        "ts": int(notice.at.timestamp()),
    }
    return {"text": fallback, "blocks": blocks, "attachments": [attachment]}


def _pagerduty_event(notice: IncidentNotice, *, routing_key: str, group: str) -> dict[str, Any]:
    """An Events API v2 body; only a trigger carries ``payload``, links and client."""
    event: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": notice.event.value,
        "dedup_key": notice.key,
    }
    if notice.event is not NoticeEvent.TRIGGER:
        return event
    summary = f"{notice.headline}: {notice.summary}" if notice.summary else notice.headline
    event["payload"] = {
        "summary": truncate(summary, PAGERDUTY_SUMMARY_MAX),
        "source": f"redline/{notice.model}",
        "severity": PAGERDUTY_SEVERITY[notice.severity],
        "timestamp": notice.at_utc.isoformat(),
        "component": notice.model,
        "group": group,
        "class": "ml-incident",
        "custom_details": {
            "incident_key": notice.key,
            "title": notice.title,
            "severity": notice.severity.value,
            "status": notice.status.value,
            **({"url": notice.url} if notice.url else {}),
            "details": dict(notice.details),
        },
    }
    event["client"] = "redline"
    if notice.url:
        event["client_url"] = notice.url
        event["links"] = [{"href": notice.url, "text": f"{notice.key} in redline"}]
    return event
