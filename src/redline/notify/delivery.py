"""Deliver a notice over a channel with bounded retries; never raises, never shows a secret."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

import httpx

from redline.notify.channels import Channel
from redline.notify.message import IncidentNotice, truncate
from redline.notify.redact import host_of, redact, secrets_of

__all__ = ["DeliveryResult", "DeliveryStatus", "Notifier", "deliver"]

log = logging.getLogger("redline.notify")

BODY_MAX = 1000  # characters of a receiver's answer kept in a result
# Worth another try: the request may never have arrived, or the receiver asked us to wait.
RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class DeliveryStatus(StrEnum):
    """How a delivery ended."""

    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of delivering one notice over one channel; safe to store and show."""

    channel: str
    status: DeliveryStatus
    attempts: int
    http_status: int | None = None
    error: str | None = None
    response_body: str | None = None

    @property
    def ok(self) -> bool:
        """True when the receiver accepted the notice."""
        return self.status is DeliveryStatus.SENT


@dataclass(frozen=True)
class _Attempt:
    """One try: a 2xx, an HTTP answer, or an exception; whether to try again and when."""

    sent: bool
    retryable: bool
    http_status: int | None = None
    body: str | None = None
    error: Exception | None = None
    retry_after_s: float | None = None


def deliver(
    channel: Channel,
    notice: IncidentNotice,
    *,
    client: httpx.Client,
    retries: int = 3,
    backoff_s: float = 0.5,
    timeout_s: float = 5.0,
    max_wait_s: float = 30.0,
    sleep: Callable[[float], object] = time.sleep,
) -> DeliveryResult:
    """Send ``notice`` over ``channel``: up to ``1 + retries`` attempts, then a result."""
    name = str(getattr(channel, "name", type(channel).__name__))
    prepared = _prepare(channel, notice, client=client, timeout_s=timeout_s)
    if isinstance(prepared, str):
        log.warning("notify %s: %s for %s", name, prepared, notice.key)
        return DeliveryResult(name, DeliveryStatus.FAILED, 0, error=prepared)
    request, secrets = prepared
    where = host_of(request.url)
    attempts = 0
    while True:
        attempts += 1
        outcome = _attempt_once(client, request, secrets)
        if outcome.sent:
            log.debug("notify %s: %s sent to %s (%d attempts)", name, notice.key, where, attempts)
            return DeliveryResult(
                name, DeliveryStatus.SENT, attempts, outcome.http_status, None, outcome.body
            )
        if not outcome.retryable or attempts > retries:
            break
        wait_s = min(_wait_s(outcome, attempts, backoff_s), max_wait_s)
        reason = _describe(outcome, where, secrets)
        log.info("notify %s: %s, retrying in %.1f s", name, reason, wait_s)
        sleep(wait_s)
    error = _describe(outcome, where, secrets)
    if attempts > 1:
        error += f" after {attempts} attempts"
    log.warning("notify %s: %s not delivered: %s", name, notice.key, error)
    return DeliveryResult(
        name, DeliveryStatus.FAILED, attempts, outcome.http_status, error, outcome.body
    )


class Notifier:
    """Sends a notice to named channels; opens and closes a client per send unless given one."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        client: httpx.Client | None = None,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
        max_wait_s: float = 30.0,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.channels = dict(channels)
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.max_wait_s = max_wait_s
        self._client = client
        self._sleep = sleep

    def send(self, notice: IncidentNotice, channel_names: Iterable[str]) -> list[DeliveryResult]:
        """Deliver ``notice`` to each named channel in order; unknown names fail, not raise."""
        names = list(channel_names)
        if self._client is not None:
            return [self._send_one(notice, name, self._client) for name in names]
        with httpx.Client() as client:
            return [self._send_one(notice, name, client) for name in names]

    def _send_one(self, notice: IncidentNotice, name: str, client: httpx.Client) -> DeliveryResult:
        channel = self.channels.get(name)
        if channel is None:
            error = f"no channel named {name!r} is configured"
            log.warning("notify: %s", error)
            return DeliveryResult(name, DeliveryStatus.FAILED, 0, error=error)
        result = deliver(
            channel,
            notice,
            client=client,
            retries=self.retries,
            backoff_s=self.backoff_s,
            timeout_s=self.timeout_s,
            max_wait_s=self.max_wait_s,
            sleep=self._sleep,
        )
        return replace(result, channel=name)


def _prepare(
    channel: Channel, notice: IncidentNotice, *, client: httpx.Client, timeout_s: float
) -> tuple[httpx.Request, tuple[str, ...]] | str:
    """The request to send and the secrets to mask, or a secret-free reason it cannot be built."""
    try:
        spec = channel.build_request(notice)
    except Exception as exc:
        # The exception text may quote the channel's settings, and no secrets are known yet.
        return f"could not render the notice: {type(exc).__name__}"
    secrets = secrets_of(spec)
    try:
        request = client.build_request(
            spec.method, spec.url, headers=dict(spec.headers), json=spec.json, timeout=timeout_s
        )
    except Exception as exc:
        return f"could not build the request: {type(exc).__name__}: {redact(str(exc), secrets)}"
    return request, secrets


def _attempt_once(
    client: httpx.Client, request: httpx.Request, secrets: tuple[str, ...]
) -> _Attempt:
    """Send once and classify the outcome; never raises."""
    try:
        response = client.send(request)
    except RETRYABLE_ERRORS as exc:
        return _Attempt(sent=False, retryable=True, error=exc)
    except Exception as exc:  # delivery must never raise: report it instead
        return _Attempt(sent=False, retryable=False, error=exc)
    try:
        body = truncate(redact(response.text, secrets), BODY_MAX) or None
    except Exception:  # an undecodable answer must not turn a delivery into a crash
        body = None
    finally:
        response.close()
    status = response.status_code
    retryable = status == 429 or status >= 500
    return _Attempt(
        sent=200 <= status < 300,
        retryable=retryable,
        http_status=status,
        body=body,
        retry_after_s=_retry_after_s(response.headers.get("Retry-After")) if retryable else None,
    )


def _wait_s(outcome: _Attempt, attempt: int, backoff_s: float) -> float:
    """Retry-After when the receiver sent one, else exponential backoff."""
    if outcome.retry_after_s is not None:
        return outcome.retry_after_s
    return backoff_s * 2.0 ** (attempt - 1)


def _retry_after_s(value: str | None) -> float | None:
    """Seconds from a Retry-After header; None for a date or nonsense (then backoff applies)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _describe(outcome: _Attempt, where: str, secrets: tuple[str, ...]) -> str:
    """A short, secret-free account of a failed attempt."""
    if outcome.error is not None:
        detail = redact(str(outcome.error), secrets)
        suffix = f": {detail}" if detail else ""
        return f"{type(outcome.error).__name__} contacting {where}{suffix}"
    return f"HTTP {outcome.http_status} from {where}"
