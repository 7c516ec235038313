"""Targets: what the probes attack — a Python callable, an OpenAI-compatible API, an HTTP endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from redline.errors import MissingExtraError, RedlineError

__all__ = [
    "CallableTarget",
    "HttpTarget",
    "Messages",
    "OpenAITarget",
    "Target",
    "TargetError",
    "TransientTargetError",
]

Messages = list[dict[str, str]]
_RETRY_STATUS = frozenset({408, 409, 429})


class TargetError(RedlineError):
    """The target refused the request for good (bad model name, 4xx): retrying will not help."""


class TransientTargetError(Exception):
    """A failure worth retrying (429, 5xx, timeout, connection), with the server's Retry-After."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Target(Protocol):
    """Anything that answers a chat: ``target(messages) -> text``, with a name for reports."""

    name: str

    def __call__(self, messages: Messages) -> str:
        """Return the assistant's answer to ``messages``."""
        ...


def _retryable(status: int) -> bool:
    return status in _RETRY_STATUS or status >= 500


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    try:
        return None if value is None else max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to the runner's own backoff


class CallableTarget:
    """A Python function ``fn(messages) -> str`` (a string answer, or anything ``str()`` of)."""

    def __init__(self, fn: Callable[[Messages], Any], *, name: str | None = None) -> None:
        self.fn = fn
        self.name = name or f"python:{getattr(fn, '__qualname__', repr(fn))}"

    def __call__(self, messages: Messages) -> str:
        """Call the function; ``None`` answers as an empty string, an exception is a TargetError."""
        try:
            answer = self.fn(messages)
        except TransientTargetError:
            raise
        # A model that crashes on hostile input is a finding for that attempt, not the run's end.
        except Exception as exc:
            raise TargetError(f"{type(exc).__name__}: {exc}") from exc
        return "" if answer is None else str(answer)


class OpenAITarget:
    """An OpenAI-compatible chat endpoint through the ``openai`` client (its retries off)."""

    def __init__(
        self, *, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 30.0
    ) -> None:
        try:
            import openai
        except ImportError as exc:
            raise MissingExtraError("redteam", needed_for="an OpenAI-compatible target") from exc
        self._openai = openai
        # Local servers need no key, but the client insists on one.
        self.client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "unused", timeout=timeout_s, max_retries=0
        )
        self.model = model
        self.name = f"openai:{model}@{base_url}"

    def __call__(self, messages: Messages) -> str:
        """One chat completion; 429/5xx/timeouts raise `TransientTargetError`."""
        openai = self._openai
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]  # plain role/content dicts
            )
        except openai.APIStatusError as exc:
            message = f"HTTP {exc.status_code}: {exc.message}"
            if _retryable(exc.status_code):
                raise TransientTargetError(
                    message, retry_after_s=_retry_after(exc.response.headers)
                ) from exc
            raise TargetError(message) from exc
        except (openai.APITimeoutError, openai.APIConnectionError) as exc:
            raise TransientTargetError(f"{type(exc).__name__}: {exc}") from exc
        if not response.choices:
            return ""
        return response.choices[0].message.content or ""


class HttpTarget:
    """A JSON predict endpoint: POST ``{"messages": [...]}``, the answer in ``answer_field``."""

    def __init__(
        self,
        url: str,
        *,
        answer_field: str = "text",
        headers: dict[str, str] | None = None,
        timeout_s: float = 30.0,
        transport: Any = None,
    ) -> None:
        import httpx

        self._httpx = httpx
        self.client = httpx.Client(timeout=timeout_s, headers=headers, transport=transport)
        self.url = url
        self.answer_field = answer_field
        self.name = f"http:{url}"

    def __call__(self, messages: Messages) -> str:
        """POST the messages; a JSON object's ``answer_field``, or the body as text."""
        httpx = self._httpx
        try:
            response = self.client.post(self.url, json={"messages": messages})
        except httpx.TransportError as exc:
            raise TransientTargetError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            message = f"HTTP {response.status_code}: {response.text[:200]}"
            if _retryable(response.status_code):
                raise TransientTargetError(message, retry_after_s=_retry_after(response.headers))
            raise TargetError(message)
        if "json" not in response.headers.get("content-type", ""):
            return response.text
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get(self.answer_field), str):
            raise TargetError(f"the answer has no string field {self.answer_field!r}")
        return str(body[self.answer_field])

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()
