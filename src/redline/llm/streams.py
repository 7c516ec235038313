"""Streamed answers: chunks pass through as they arrive, and the stream stops when it must.

A stream stops without another chunk when the route's kill switch goes on or its source is
blocked after it began, when ``stream_check`` flags a chunk, or (``stream_scan``) when the
scanners would block or redact the answer's last characters with the chunk; it is then
recorded with finish reason ``cut``. The call is recorded when the stream ends or its reader
closes it (a stream never read from is never started, so never recorded).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from redline.llm.chat import StreamTally, read_chunk
from redline.llm.turn import Answer, Turn
from redline.llm.turns import Turns
from redline.llm.upstream import chunks_of
from redline.scanners.base import Action

__all__ = ["GuardedStream", "StreamDriver", "close_stream"]

log = logging.getLogger("redline.llm")

#: Finish reason of a stream the guard stopped.
CUT = "cut"

#: Characters at the end of a streamed answer scanned with each chunk (``stream_scan``): enough
#: for an email address, a key or a canary split over several chunks.
TAIL_CHARS = 256

#: Verdicts that stop a stream: what may not reach the caller cannot be taken back later.
_STOPPING = frozenset({Action.BLOCK, Action.REDACT})


class GuardedStream:
    """The text chunks of one guarded answer; ``answer`` is set once the stream has ended.

    Iterate it with ``for`` when it came from ``LLMGuard.stream``, with ``async for`` when it
    came from ``LLMGuard.astream``.
    """

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.answer: Answer | None = None
        self.chunks: Iterator[str] | None = None
        self.achunks: AsyncIterator[str] | None = None

    def __iter__(self) -> Iterator[str]:
        if self.chunks is None:
            raise TypeError("an async stream: read it with 'async for'")
        return self.chunks

    def __aiter__(self) -> AsyncIterator[str]:
        if self.achunks is None:
            raise TypeError("a sync stream: read it with 'for'")
        return self.achunks


def close_stream(chunks: Any) -> Any:
    """Close an upstream stream (sync or async); returns an awaitable for async ones, or None."""
    closer = getattr(chunks, "aclose", None) or getattr(chunks, "close", None)
    if closer is None:
        return None
    result = closer()
    return result if inspect.isawaitable(result) else None


class StreamDriver:
    """Reads an upstream stream chunk by chunk for the guard, sync or async."""

    def __init__(
        self, turns: Turns, stream_check: Callable[[str], bool] | None, *, scan: bool = False
    ) -> None:
        self.turns = turns
        self.stream_check = stream_check
        self.scan = scan

    def step(self, turn: Turn, tally: StreamTally, chunk: Any) -> str | None:
        """The text to pass on for one chunk ('' for none), None when the stream must stop."""
        text = read_chunk(chunk, tally)
        if not text:
            return ""
        if self.turns.cut(turn) or self._flagged(turn, text):
            tally.parts.pop()  # never passed on, so not part of the answer served
            tally.result.finish_reason = CUT
            return None
        if turn.ttft_ms is None:
            turn.ttft_ms = (time.perf_counter() - turn.started) * 1000.0
        return text

    def _flagged(self, turn: Turn, text: str) -> bool:
        """The stream check flags this chunk, or the scanners the answer's end with it."""
        if self.scan:
            turn.tail = (turn.tail + text)[-TAIL_CHARS:]
            verdict = self.turns.scan(turn.tail, turn.context)
            if verdict is not None and verdict.action in _STOPPING:
                return True
        if self.stream_check is None:
            return False
        try:
            return bool(self.stream_check(text))
        except Exception:  # a failing check lets the stream go on (fail open), logged
            log.exception("redline's stream check failed on %s", self.turns.engine.model)
            return False

    def run(self, turn: Turn, chunks: Any, out: GuardedStream, own: Any = None) -> Iterator[str]:
        """Pass on the chunks of a sync stream; record the call when it ends."""
        tally = StreamTally()
        try:
            yield from self.run_texts(turn, tally, chunks)
        finally:
            close_stream(chunks)
            out.answer = self.turns.finish(turn, tally.finish(), streamed=True, own=own)

    async def arun(
        self, turn: Turn, chunks: Any, out: GuardedStream, own: Any = None
    ) -> AsyncIterator[str]:
        """Pass on the chunks of an async (or sync) stream; record the call when it ends."""
        tally = StreamTally()
        try:
            if hasattr(chunks, "__aiter__"):
                async for chunk in chunks:
                    text = self.step(turn, tally, chunk)
                    if text is None:
                        break
                    if text:
                        yield text
            else:
                for text in self.run_texts(turn, tally, chunks):
                    yield text
        finally:
            closing = close_stream(chunks)
            if closing is not None:
                await closing
            out.answer = self.turns.finish(turn, tally.finish(), streamed=True, own=own)

    def run_texts(self, turn: Turn, tally: StreamTally, chunks: Any) -> Iterator[str]:
        """The texts of a sync stream up to a stop (no recording: the caller records)."""
        for chunk in chunks_of(chunks):
            text = self.step(turn, tally, chunk)
            if text is None:
                return
            if text:
                yield text

    def served(self, turn: Turn, out: GuardedStream, own: Any = None) -> GuardedStream:
        """A request no upstream answers (blocked, switched off, held): its one text chunk."""
        out.answer = self.turns.finish(turn, None, own=own)
        texts = [out.answer.text] if out.answer.text else []
        out.chunks = iter(texts)
        out.achunks = _async_iter(texts)
        return out


async def _async_iter(texts: list[str]) -> AsyncIterator[str]:
    for text in texts:
        yield text
