"""Each channel's request exactly as a real receiver on 127.0.0.1 gets it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import httpx
import pytest

from redline.domain import IncidentStatus, Severity
from redline.notify import (
    IncidentNotice,
    NoticeError,
    NoticeEvent,
    PagerDutyChannel,
    SlackChannel,
    WebhookChannel,
    deliver,
)

if TYPE_CHECKING:
    from conftest import Receiver

ROUTING_KEY = "3f1c0ffee0ddba11deadbeef5ca1ab1e"
LINK = "https://redline.example/incidents/RL-2026-0042"


def test_webhook_posts_the_schema_versioned_notice(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice
) -> None:
    channel = WebhookChannel(f"{receiver.url}/hooks/redline", headers={"X-Team": "ml-risk"})

    result = deliver(channel, notice, client=client)

    assert result.ok
    assert (result.channel, result.attempts, result.http_status) == ("webhook", 1, 202)
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", "/hooks/redline")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "redline-notify/1"
    assert request.headers["x-team"] == "ml-risk"
    assert request.json == {
        "schema": "redline.notice/1",
        "key": "RL-2026-0042",
        "title": "Fraud recall dropped 21%",
        "model": "fraud-v3",
        "severity": "SEV1",
        "status": "declared",
        "event": "trigger",
        "summary": "Recall fell from 0.91 to 0.72 over the last 3 windows.",
        "url": LINK,
        "details": {"metric": "recall", "observed": 0.72, "threshold": 0.85},
        "at": "2026-03-14T09:26:53+00:00",
    }


def test_slack_posts_fallback_text_blocks_and_a_coloured_attachment(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice
) -> None:
    notice = replace(notice, title="p99 <latency> & errors")
    result = deliver(SlackChannel(f"{receiver.url}/services/T0/B0/tok"), notice, client=client)

    assert result.ok
    [request] = receiver.requests
    assert request.path == "/services/T0/B0/tok"
    assert request.headers["content-type"] == "application/json"
    fallback = "[SEV1] RL-2026-0042 p99 <latency> & errors (fraud-v3): trigger"
    assert request.json == {
        "text": fallback,
        "blocks": [
            {
                "type": "header",
                "text": {
                    "type": "plain_text",
                    "text": "[SEV1] RL-2026-0042 p99 <latency> & errors",
                },
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": "*Severity*\nSEV1"},
                    {"type": "mrkdwn", "text": "*Model*\nfraud-v3"},
                    {"type": "mrkdwn", "text": "*Status*\ndeclared"},
                    {"type": "mrkdwn", "text": "*Event*\ntrigger"},
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in redline"},
                        "url": LINK,
                    }
                ],
            },
        ],
        "attachments": [
            {
                "color": "#d7263d",
                "fallback": fallback,
                "text": "Recall fell from 0.91 to 0.72 over the last 3 windows.",
                "footer": "redline · RL-2026-0042",
                "ts": int(notice.at.timestamp()),
            }
        ],
    }


@pytest.mark.parametrize(
    ("severity", "event", "colour"),
    [
        (Severity.SEV1, NoticeEvent.TRIGGER, "#d7263d"),
        (Severity.SEV2, NoticeEvent.TRIGGER, "#f28c28"),
        (Severity.SEV3, NoticeEvent.ACKNOWLEDGE, "#f2c14e"),
        (Severity.SEV1, NoticeEvent.RESOLVE, "#2eb67d"),
    ],
)
def test_slack_colour_follows_severity_and_turns_green_on_resolve(
    receiver: Receiver,
    client: httpx.Client,
    notice: IncidentNotice,
    severity: Severity,
    event: NoticeEvent,
    colour: str,
) -> None:
    notice = replace(notice, severity=severity, event=event, url=None, summary="")
    deliver(SlackChannel(f"{receiver.url}/services/x"), notice, client=client)

    body = receiver.requests[0].json
    assert body["attachments"][0]["color"] == colour
    assert body["attachments"][0]["text"] == notice.title  # no summary: the title stands in
    assert [block["type"] for block in body["blocks"]] == ["header", "section"]  # no link


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(Severity.SEV1, "critical"), (Severity.SEV2, "error"), (Severity.SEV3, "warning")],
)
def test_pagerduty_trigger_is_an_events_v2_event(
    receiver: Receiver,
    client: httpx.Client,
    notice: IncidentNotice,
    severity: Severity,
    expected: str,
) -> None:
    notice = replace(notice, severity=severity)
    channel = PagerDutyChannel(ROUTING_KEY, url=f"{receiver.url}/v2/enqueue")

    result = deliver(channel, notice, client=client)

    assert (result.ok, result.channel, result.http_status) == (True, "pagerduty", 202)
    [request] = receiver.requests
    assert request.path == "/v2/enqueue"
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "RL-2026-0042",
        "payload": {
            "summary": f"[{severity}] RL-2026-0042 Fraud recall dropped 21%: "
            "Recall fell from 0.91 to 0.72 over the last 3 windows.",
            "source": "redline/fraud-v3",
            "severity": expected,
            "timestamp": "2026-03-14T09:26:53+00:00",
            "component": "fraud-v3",
            "group": "redline",
            "class": "ml-incident",
            "custom_details": {
                "incident_key": "RL-2026-0042",
                "title": "Fraud recall dropped 21%",
                "severity": str(severity),
                "status": "declared",
                "url": LINK,
                "details": {"metric": "recall", "observed": 0.72, "threshold": 0.85},
            },
        },
        "client": "redline",
        "client_url": LINK,
        "links": [{"href": LINK, "text": "RL-2026-0042 in redline"}],
    }


@pytest.mark.parametrize("event", [NoticeEvent.ACKNOWLEDGE, NoticeEvent.RESOLVE])
def test_pagerduty_acknowledge_and_resolve_carry_no_payload(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice, event: NoticeEvent
) -> None:
    notice = replace(notice, event=event, status=IncidentStatus.RESOLVED)
    deliver(PagerDutyChannel(ROUTING_KEY, url=f"{receiver.url}/v2/enqueue"), notice, client=client)

    assert receiver.requests[0].json == {
        "routing_key": ROUTING_KEY,
        "event_action": str(event),
        "dedup_key": "RL-2026-0042",
    }


def test_pagerduty_summary_is_cut_to_1024_chars_and_time_is_utc(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice
) -> None:
    local = datetime(2026, 3, 14, 11, 26, 53, tzinfo=timezone(timedelta(hours=2)))
    notice = replace(notice, summary="x" * 5000, at=local, url=None)
    deliver(PagerDutyChannel(ROUTING_KEY, url=f"{receiver.url}/v2/enqueue"), notice, client=client)

    event = receiver.requests[0].json
    assert len(event["payload"]["summary"]) == 1024
    assert event["payload"]["summary"].endswith("x…")
    assert event["payload"]["timestamp"] == "2026-03-14T09:26:53+00:00"
    assert "links" not in event
    assert "client_url" not in event


def test_notice_coerces_plain_strings(notice: IncidentNotice) -> None:
    coerced = replace(notice, severity="SEV2", status="contained", event="acknowledge")  # type: ignore[arg-type]

    assert coerced.severity is Severity.SEV2
    assert coerced.status is IncidentStatus.CONTAINED
    assert coerced.event is NoticeEvent.ACKNOWLEDGE


@pytest.mark.parametrize(
    "change",
    [{"event": "escalate"}, {"severity": "SEV0"}, {"at": datetime(2026, 3, 14, 9, 26)}],
)
def test_notice_rejects_bad_values(notice: IncidentNotice, change: dict[str, object]) -> None:
    with pytest.raises(NoticeError, match="RL-2026-0042"):
        replace(notice, **change)  # type: ignore[arg-type]
