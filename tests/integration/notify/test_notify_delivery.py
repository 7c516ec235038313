"""Failures, redaction and the Notifier against a real receiver on 127.0.0.1."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from redline.notify import (
    Channel,
    ChannelRequest,
    DeliveryResult,
    DeliveryStatus,
    IncidentNotice,
    Notifier,
    PagerDutyChannel,
    SlackChannel,
    WebhookChannel,
    deliver,
)

if TYPE_CHECKING:
    from conftest import Receiver

ROUTING_KEY = "3f1c0ffee0ddba11deadbeef5ca1ab1e"
SLACK_TOKEN = "xOxPsEcReTtOkEn42"


def _leaks(result: DeliveryResult, *secrets: str) -> list[str]:
    text = repr(result)
    return [secret for secret in secrets if secret in text]


def test_a_down_receiver_fails_after_retries_without_showing_the_secret(
    closed_url: str,
    client: httpx.Client,
    notice: IncidentNotice,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    webhook_url = f"{closed_url}/services/T0/B0/{SLACK_TOKEN}"
    caplog.set_level(logging.DEBUG, logger="redline.notify")

    result = deliver(SlackChannel(webhook_url), notice, client=client, sleep=sleeps.append)

    assert (result.status, result.attempts, result.http_status) == ("failed", 4, None)
    assert result.error is not None
    assert result.error.startswith(f"ConnectError contacting {closed_url.removeprefix('http://')}")
    assert result.error.endswith("after 4 attempts")
    assert sleeps == [0.5, 1.0, 2.0]
    assert _leaks(result, SLACK_TOKEN, "/services/") == []
    assert caplog.records  # retries and the failure were logged ...
    assert SLACK_TOKEN not in caplog.text  # ... without the token
    assert "/services/" not in caplog.text


def test_secrets_echoed_by_a_receiver_are_masked(
    receiver: Receiver,
    client: httpx.Client,
    notice: IncidentNotice,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bearer = "Bearer s3cr3t-api-key"
    receiver.respond(400, f'{{"error": "unknown routing_key {ROUTING_KEY}"}}')
    receiver.respond(404, f"no_service for /services/T0/B0/{SLACK_TOKEN}")
    receiver.respond(403, f"token {SLACK_TOKEN} revoked")
    receiver.respond(401, f"bad credentials: {bearer}")
    caplog.set_level(logging.DEBUG, logger="redline.notify")
    channels: dict[str, Channel] = {
        "pd": PagerDutyChannel(ROUTING_KEY, url=f"{receiver.url}/v2/enqueue"),
        "slack": SlackChannel(f"{receiver.url}/services/T0/B0/{SLACK_TOKEN}"),
        "hook": WebhookChannel(f"{receiver.url}/x", headers={"Authorization": bearer}),
    }

    results = Notifier(channels, client).send(notice, ["pd", "slack", "slack", "hook"])

    assert [r.http_status for r in results] == [400, 404, 403, 401]
    assert receiver.requests[3].headers["authorization"] == bearer  # it was sent, though
    assert [r.response_body for r in results] == [
        '{"error": "unknown routing_key ***"}',
        "no_service for ***",
        "token *** revoked",
        "bad credentials: ***",
    ]
    assert all(_leaks(r, ROUTING_KEY, SLACK_TOKEN, "s3cr3t") == [] for r in results)
    assert ROUTING_KEY not in caplog.text
    assert SLACK_TOKEN not in caplog.text


def test_notifier_opens_its_own_client_and_names_results_by_key(
    receiver: Receiver, notice: IncidentNotice
) -> None:
    notifier = Notifier(
        {"ops-hook": WebhookChannel(f"{receiver.url}/a"), "team": WebhookChannel(receiver.url)}
    )

    results = notifier.send(notice, ["team", "missing", "ops-hook"])

    assert [(r.channel, r.status, r.attempts) for r in results] == [
        ("team", DeliveryStatus.SENT, 1),
        ("missing", DeliveryStatus.FAILED, 0),
        ("ops-hook", DeliveryStatus.SENT, 1),
    ]
    assert results[1].error == "no channel named 'missing' is configured"
    assert [r.path for r in receiver.requests] == ["/", "/a"]


def test_notifier_leaves_a_given_client_open(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice
) -> None:
    Notifier({"hook": WebhookChannel(receiver.url)}, client).send(notice, ["hook"])

    assert not client.is_closed


class _BrokenChannel:
    name = "broken"

    def build_request(self, notice: IncidentNotice) -> ChannelRequest:
        raise RuntimeError(f"cannot render with key {ROUTING_KEY}")


def test_deliver_never_raises(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice
) -> None:
    unserialisable = replace(notice, details={"at": datetime(2026, 1, 1, tzinfo=UTC)})
    bad_url = WebhookChannel(f"ftp://files.example/{SLACK_TOKEN}")

    results = [
        deliver(_BrokenChannel(), notice, client=client),
        deliver(WebhookChannel(receiver.url), unserialisable, client=client),
        deliver(bad_url, notice, client=client),
    ]

    assert [(r.status, r.attempts) for r in results] == [
        ("failed", 0),
        ("failed", 0),
        ("failed", 1),
    ]
    assert results[0].error == "could not render the notice: RuntimeError"
    assert results[1].error is not None
    assert results[1].error.startswith("could not build the request: TypeError")
    assert results[2].error is not None
    assert results[2].error.startswith("UnsupportedProtocol contacting files.example")
    assert all(_leaks(r, ROUTING_KEY, SLACK_TOKEN) == [] for r in results)
    assert receiver.requests == []
