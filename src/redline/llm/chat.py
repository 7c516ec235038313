"""What an upstream answered, read the same way from a string, a dict or an OpenAI object.

A chat callable may return text, an OpenAI-style dict or a ``ChatCompletion``; a stream yields
text, dicts or ``ChatCompletionChunk`` objects. These readers never raise on a shape they do
not know: missing figures stay None and are estimated later.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChatResult", "StreamTally", "field_of", "read_chunk", "read_completion", "text_of"]


def field_of(obj: Any, name: str) -> Any:
    """``obj[name]`` for mappings, ``obj.name`` otherwise; None when absent."""
    if obj is None:
        return None
    if type(obj) is dict or isinstance(obj, Mapping):  # the dict test first: ABC checks are slow
        return obj.get(name)
    return getattr(obj, name, None)


def _first_choice(obj: Any) -> Any:
    choices = field_of(obj, "choices")
    if isinstance(choices, Sequence) and choices:
        return choices[0]
    return None


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(slots=True)
class ChatResult:
    """One answer: its text and, when the upstream said, tokens, finish reason, log-probs."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    logprobs: list[float] = field(default_factory=list)
    top_logprobs: list[list[float]] = field(default_factory=list)
    raw: Any = None


def _read_logprobs(choice: Any, result: ChatResult) -> None:
    """Append a choice's per-token log-probabilities (OpenAI ``logprobs.content``)."""
    content = field_of(field_of(choice, "logprobs"), "content")
    if not isinstance(content, Sequence):
        return
    for token in content:
        value = field_of(token, "logprob")
        if isinstance(value, int | float):
            result.logprobs.append(float(value))
            tops = field_of(token, "top_logprobs") or []
            result.top_logprobs.append(
                [float(t) for t in (field_of(a, "logprob") for a in tops) if t is not None]
            )


def _read_usage(obj: Any, result: ChatResult) -> None:
    usage = field_of(obj, "usage")
    if usage is not None:
        result.prompt_tokens = _int_or_none(field_of(usage, "prompt_tokens"))
        result.completion_tokens = _int_or_none(field_of(usage, "completion_tokens"))


def text_of(value: Any) -> str:
    """The answer text of a completion (a string is its own text)."""
    if isinstance(value, str):
        return value
    choice = _first_choice(value)
    message = field_of(choice, "message")
    content = field_of(message, "content") if message is not None else field_of(choice, "text")
    if content is None and isinstance(value, Mapping):
        content = value.get("content", value.get("text"))
    return content if isinstance(content, str) else ""


def read_completion(value: Any) -> ChatResult:
    """Read a whole (non-streamed) answer."""
    if isinstance(value, ChatResult):
        return value
    result = ChatResult(text=text_of(value), raw=value)
    if isinstance(value, str):
        return result
    choice = _first_choice(value)
    reason = field_of(choice, "finish_reason")
    result.finish_reason = str(reason) if reason is not None else None
    _read_usage(value, result)
    _read_logprobs(choice, result)
    return result


@dataclass(slots=True)
class StreamTally:
    """A streamed answer put together chunk by chunk."""

    parts: list[str] = field(default_factory=list)
    result: ChatResult = field(default_factory=lambda: ChatResult(text=""))

    def finish(self) -> ChatResult:
        """The whole answer streamed so far."""
        self.result.text = "".join(self.parts)
        return self.result


def read_chunk(chunk: Any, tally: StreamTally) -> str:
    """Add one stream chunk to ``tally``; returns its text (empty for usage-only chunks)."""
    if isinstance(chunk, str):
        tally.parts.append(chunk)
        return chunk
    result = tally.result
    _read_usage(chunk, result)
    choice = _first_choice(chunk)
    if choice is None:
        return ""
    reason = field_of(choice, "finish_reason")
    if reason is not None:
        result.finish_reason = str(reason)
    _read_logprobs(choice, result)
    delta = field_of(choice, "delta")
    text = field_of(delta, "content") if delta is not None else field_of(choice, "text")
    if isinstance(text, str) and text:
        tally.parts.append(text)
        return text
    return ""
