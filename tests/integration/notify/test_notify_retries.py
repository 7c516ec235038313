"""Retries, backoff and Retry-After against a real receiver on 127.0.0.1."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from redline.notify import IncidentNotice, PagerDutyChannel, WebhookChannel, deliver

if TYPE_CHECKING:
    from conftest import Receiver

ROUTING_KEY = "3f1c0ffee0ddba11deadbeef5ca1ab1e"
PD_INVALID = (
    '{"status": "invalid event", "message": "Event object is invalid", '
    '"errors": ["Length of \'routing_key\' is incorrect (should be 32 characters)"]}'
)


def test_5xx_is_retried_with_exponential_backoff_then_sent(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice, sleeps: list[float]
) -> None:
    receiver.respond(500, "boom")
    receiver.respond(503, "busy")

    result = deliver(
        WebhookChannel(f"{receiver.url}/hook"), notice, client=client, sleep=sleeps.append
    )

    assert (result.status, result.attempts, result.http_status) == ("sent", 3, 202)
    assert result.error is None
    assert sleeps == [0.5, 1.0]
    assert len(receiver.requests) == 3
    assert receiver.requests[0].body == receiver.requests[2].body  # the same event each time


def test_a_dropped_connection_is_retried(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice, sleeps: list[float]
) -> None:
    receiver.respond(drop=True)

    result = deliver(
        WebhookChannel(f"{receiver.url}/hook"), notice, client=client, sleep=sleeps.append
    )

    assert (result.ok, result.attempts) == (True, 2)
    assert sleeps == [0.5]


def test_a_timeout_is_retried(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice, sleeps: list[float]
) -> None:
    receiver.respond(delay_s=1.0)

    result = deliver(
        WebhookChannel(f"{receiver.url}/hook"),
        notice,
        client=client,
        timeout_s=0.2,
        sleep=sleeps.append,
    )

    assert (result.ok, result.attempts, len(receiver.requests)) == (True, 2, 2)


def test_retries_run_out_and_the_last_answer_is_reported(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice, sleeps: list[float]
) -> None:
    receiver.respond(502, "bad gateway", times=3)

    result = deliver(
        WebhookChannel(f"{receiver.url}/hook"),
        notice,
        client=client,
        retries=2,
        backoff_s=0.1,
        sleep=sleeps.append,
    )

    assert (result.status, result.attempts, result.http_status) == ("failed", 3, 502)
    assert result.error == f"HTTP 502 from {receiver.url.removeprefix('http://')} after 3 attempts"
    assert result.response_body == "bad gateway"
    assert sleeps == pytest.approx([0.1, 0.2])


def test_4xx_is_not_retried_and_its_body_is_kept(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice, sleeps: list[float]
) -> None:
    receiver.respond(400, PD_INVALID)
    channel = PagerDutyChannel(ROUTING_KEY, url=f"{receiver.url}/v2/enqueue")

    result = deliver(channel, notice, client=client, sleep=sleeps.append)

    assert (result.status, result.attempts, result.http_status) == ("failed", 1, 400)
    assert result.response_body == PD_INVALID
    assert result.error == f"HTTP 400 from {receiver.url.removeprefix('http://')}"
    assert sleeps == []
    assert len(receiver.requests) == 1


def test_a_redirect_is_a_failure_not_followed(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice, sleeps: list[float]
) -> None:
    receiver.respond(301, "", headers={"Location": "https://elsewhere.example/"})

    result = deliver(
        WebhookChannel(f"{receiver.url}/hook"), notice, client=client, sleep=sleeps.append
    )

    assert (result.status, result.attempts, result.http_status) == ("failed", 1, 301)
    assert result.response_body is None


def test_retry_after_is_honoured(
    receiver: Receiver, client: httpx.Client, notice: IncidentNotice, sleeps: list[float]
) -> None:
    receiver.respond(429, "slow down", headers={"Retry-After": "7"})

    result = deliver(
        WebhookChannel(f"{receiver.url}/hook"), notice, client=client, sleep=sleeps.append
    )

    assert (result.ok, result.attempts) == (True, 2)
    assert sleeps == [7.0]


@pytest.mark.parametrize(
    ("retry_after", "expected_s"),
    [("3600", 30.0), ("Wed, 21 Oct 2026 07:28:00 GMT", 0.5), ("-5", 0.5)],
)
def test_retry_after_is_capped_and_falls_back_to_backoff(
    receiver: Receiver,
    client: httpx.Client,
    notice: IncidentNotice,
    sleeps: list[float],
    retry_after: str,
    expected_s: float,
) -> None:
    receiver.respond(429, "", headers={"Retry-After": retry_after})

    deliver(WebhookChannel(f"{receiver.url}/hook"), notice, client=client, sleep=sleeps.append)

    assert sleeps == [expected_s]
