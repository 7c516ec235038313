"""Server-sent events for a guarded stream: the upstream's own chunks, as the guard lets them by.

The LLM Guard reads the upstream stream chunk by chunk and passes on each text it allows; the
upstream's bytes for that chunk (and the chunks without text before it: the role, logprobs)
are then written out unchanged. A stream the guard cuts ends with a chunk of redline's own
(finish reason ``content_filter``); a canned answer is written as redline's own chunks.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio

from redline.gateway.replies import CUT_REASON, chunk_of, error_body, upstream_failure
from redline.gateway.upstream import Exchange, UpstreamError
from redline.llm import GuardedStream

__all__ = ["sse_events"]

log = logging.getLogger("redline.gateway")

_DONE = b"data: [DONE]\n\n"
#: The finish reason the LLM Guard gives a stream it stopped.
_GUARD_CUT = "cut"


def _event(data: bytes) -> bytes:
    return b"data: " + data + b"\n\n"


def _usage_only(chunk: Mapping[str, Any]) -> bool:
    return not chunk.get("choices") and chunk.get("usage") is not None


def _passed(exchange: Exchange, want_usage: bool) -> list[bytes]:
    """The upstream's pending chunks as events (its usage chunk only if the caller asked)."""
    events = [
        _event(raw) for raw, chunk in exchange.pending if want_usage or not _usage_only(chunk)
    ]
    exchange.pending.clear()
    return events


async def sse_events(
    stream: GuardedStream, exchange: Exchange, model: str, endpoint: str, *, want_usage: bool
) -> AsyncIterator[bytes]:
    """The events of one guarded stream, ending with ``data: [DONE]``."""
    request_id = stream.request_id
    from_upstream = False
    texts = stream.__aiter__()
    try:
        async for text in texts:
            if exchange.pending:
                from_upstream = True
                for event in _passed(exchange, want_usage):
                    yield event
            else:  # nothing came from an upstream: a canned answer or a refusal
                yield _event(chunk_of(request_id, model, endpoint, text))
        answer = stream.answer
        if answer is not None and answer.finish_reason == _GUARD_CUT:
            exchange.pending.clear()  # the chunk that was stopped never goes out
            yield _event(chunk_of(request_id, model, endpoint, None, CUT_REASON))
        elif exchange.pending:
            for event in _passed(exchange, want_usage):
                yield event
        elif not from_upstream:
            yield _event(chunk_of(request_id, model, endpoint, None, "stop"))
    except UpstreamError as exc:
        _, body = upstream_failure(exc)
        yield _event(body)
    except Exception as exc:  # the response has started: the error can only go in the stream
        log.exception("redline gateway: a stream of %s failed", model)
        yield _event(error_body(502, f"the stream failed: {type(exc).__name__}"))
    finally:
        # Shielded: a client that went away cancels this generator, and the guard must still
        # close the upstream stream and record the call.
        closing = getattr(texts, "aclose", None)
        if closing is not None:
            with anyio.CancelScope(shield=True):
                await closing()
    yield _DONE
