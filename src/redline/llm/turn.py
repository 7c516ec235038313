"""One request's state: the scanner protocol, what the caller gets, and the turn under way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from redline.domain import Route
from redline.guard.plan import RoutePlan
from redline.guard.serve import Served
from redline.llm.upstream import Messages, Upstream
from redline.scanners.base import ScanContext, Verdict

__all__ = ["Answer", "TextScanner", "Turn", "prompt_of", "with_prompt"]


class TextScanner(Protocol):
    """What the guard asks of a scanner pipeline (`redline.scanners`)."""

    def scan(self, text: str, context: ScanContext) -> Verdict:
        """Scan one prompt or answer."""
        ...


@dataclass(frozen=True, slots=True)
class Answer:
    """What the guard served for one call, with the figures it recorded."""

    text: str
    request_id: str
    route: Route
    error: str | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    model_output: str | None = None  # what an upstream answered, before redaction or refusal
    tail: str = ""  # the end of a streamed answer so far, for scanning chunks as they pass
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_verdict: Verdict | None = None
    output_verdict: Verdict | None = None
    raw: Any = None


@dataclass(slots=True)
class Turn:
    """One request under way: what was decided before the call, and what the call needs."""

    request_id: str
    messages: Messages
    prompt: str
    source: str | None
    plan: RoutePlan
    started: float
    context: ScanContext
    served: Served
    upstream: Upstream | None = None
    reviewer: dict[str, Any] | None = None  # an input filter held the primary's answer
    review_reason: str | None = None
    prompt_verdict: Verdict | None = None
    scores: dict[str, float] = field(default_factory=dict)
    ttft_ms: float | None = None
    model_output: str | None = None  # what an upstream answered, before redaction or refusal
    tail: str = ""  # the end of a streamed answer so far, for scanning chunks as they pass


def prompt_of(messages: Messages) -> tuple[str, str | None]:
    """The last user message's text and the system prompt (None without one)."""
    prompt, system = "", None
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        if message.get("role") == "system" and system is None:
            system = text
        elif message.get("role", "user") == "user":
            prompt = text
    return prompt, system


def with_prompt(messages: Messages, text: str) -> list[dict[str, Any]]:
    """The messages with the last user message's text replaced (a redacted prompt)."""
    out = [dict(m) for m in messages]
    for message in reversed(out):
        if message.get("role", "user") == "user":
            message["content"] = text
            break
    return out
