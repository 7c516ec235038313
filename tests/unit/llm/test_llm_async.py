"""LLMGuard with async chat callables: whole answers, async streams, and the kill switch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redline.domain import Route
from redline.guard.sinks import MemorySink
from redline.llm import LLMGuard
from redline.profiles.reference import Reference

USER = [{"role": "user", "content": "hi"}]


async def answer(messages: list[dict[str, Any]]) -> str:
    return "async hello"


async def pieces(messages: list[dict[str, Any]]) -> AsyncIterator[str]:
    for text in ("one ", "two ", "three"):
        yield text


def make_guard(reference: Reference, chat: Any, **options: Any) -> LLMGuard:
    return LLMGuard(
        model="bot", chat=chat, reference=reference, sink=MemorySink(), window_s=3600, **options
    )


def test_async_answers_and_streams(llm_reference: Reference) -> None:
    async def run() -> tuple[str, list[str], float | None]:
        with make_guard(llm_reference, answer) as guard:
            whole = await guard.achat(USER)
        with make_guard(llm_reference, pieces) as guard:
            stream = await guard.astream(USER)
            texts = [t async for t in stream]
            guard.flush()
            assert isinstance(guard.guard.sink, MemorySink)
            assert guard.guard.sink.windows[0].n_rows == 1
        assert stream.answer is not None
        return whole.text, texts, stream.answer.ttft_ms

    whole, texts, ttft_ms = asyncio.run(run())
    assert (whole, texts) == ("async hello", ["one ", "two ", "three"])
    assert ttft_ms is not None


def test_an_async_stream_stops_at_the_kill_switch(llm_reference: Reference) -> None:
    async def run() -> tuple[list[str], str | None]:
        with make_guard(llm_reference, pieces, safe_response="down") as guard:
            stream = await guard.astream(USER)
            texts = []
            async for text in stream:
                texts.append(text)
                guard.guard.set_route(guard.guard.route.with_changes(mode=Route.FALLBACK))
            switched = [t async for t in await guard.astream(USER)]
        assert stream.answer is not None
        return texts + switched, stream.answer.finish_reason

    texts, reason = asyncio.run(run())
    assert (texts, reason) == (["one ", "down"], "cut")


def test_a_sync_stream_is_not_read_with_async_for(llm_reference: Reference) -> None:
    with make_guard(llm_reference, lambda m: iter(["a"])) as guard:
        stream = guard.stream(USER)
        with pytest.raises(TypeError, match="with 'for'"):
            stream.__aiter__()
        assert list(stream) == ["a"]


def test_a_failing_async_primary_falls_back(llm_reference: Reference) -> None:
    async def broken(messages: list[dict[str, Any]]) -> str:
        raise TimeoutError("slow upstream")

    async def run() -> tuple[str, Route]:
        with make_guard(llm_reference, broken, fallback=answer) as guard:
            result = await guard.achat(USER)
        return result.text, result.route

    assert asyncio.run(run()) == ("async hello", Route.FALLBACK)
