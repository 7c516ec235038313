"""The real ``openai`` client, sync and async, whole and streamed, behind an LLMGuard, over real
HTTP to a local OpenAI-compatible upstream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from redline.domain import Route
from redline.guard.sinks import MemorySink
from redline.llm import LLMGuard, fit_llm_reference
from redline.profiles.reference import Reference
from rltest.llm import FakeScanners, reference_calls
from rltest.openai_upstream import OpenAIUpstream

openai = pytest.importorskip("openai")

USER = [{"role": "user", "content": "where is my refund"}]
ANSWER = "Your refund was sent on Monday and should arrive soon."


@pytest.fixture(scope="module")
def reference() -> Reference:
    return fit_llm_reference(reference_calls(), prices={"tiny": (0.5, 1.5)}, window_sizes=[50])


@pytest.fixture
def upstream() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream(ANSWER) as server:
        yield server


def guard_on(client: object, reference: Reference) -> LLMGuard:
    return LLMGuard(
        model="bot",
        chat=client,
        llm_model="tiny",
        reference=reference,
        scanners=FakeScanners(),
        prices={"tiny": (0.5, 1.5)},
        sink=MemorySink(),
        window_s=3600,
    )


def test_sync_whole_and_streamed_answers(upstream: OpenAIUpstream, reference: Reference) -> None:
    client = openai.OpenAI(base_url=upstream.url, api_key="test", max_retries=0)
    with guard_on(client, reference) as guard:
        whole = guard.chat(USER, logprobs=True, top_logprobs=2)
        stream = guard.stream(USER)
        texts = list(stream)
        guard.flush()
        sink = guard.guard.sink
    client.close()
    assert (whole.text, whole.route, whole.finish_reason) == (ANSWER, Route.PRIMARY, "stop")
    assert whole.completion_tokens == len(ANSWER.split())
    assert "".join(texts) == ANSWER
    assert len(texts) == len(ANSWER.split())
    assert stream.answer is not None
    assert stream.answer.ttft_ms is not None
    assert stream.answer.completion_tokens == len(ANSWER.split())  # usage from the last chunk
    assert [r.get("stream", False) for r in upstream.requests] == [False, True]
    assert isinstance(sink, MemorySink)
    assert sink.windows[0].n_rows == 2


def test_async_whole_and_streamed_answers(upstream: OpenAIUpstream, reference: Reference) -> None:
    async def run() -> tuple[str, list[str], str | None]:
        client = openai.AsyncOpenAI(base_url=upstream.url, api_key="test", max_retries=0)
        with guard_on(client, reference) as guard:
            whole = await guard.achat(USER)
            stream = await guard.astream(USER)
            texts = [text async for text in stream]
        await client.close()
        assert stream.answer is not None
        return whole.text, texts, stream.answer.finish_reason

    whole, texts, reason = asyncio.run(run())
    assert (whole, "".join(texts), reason) == (ANSWER, ANSWER, "stop")


def test_a_kill_switch_mid_stream_closes_the_upstream_stream(
    upstream: OpenAIUpstream, reference: Reference
) -> None:
    client = openai.OpenAI(base_url=upstream.url, api_key="test", max_retries=0)
    with guard_on(client, reference) as guard:
        stream = guard.stream(USER)
        chunks = iter(stream)
        first = next(chunks)
        guard.guard.set_route(guard.guard.route.with_changes(mode=Route.FALLBACK))
        rest = list(chunks)
        after = guard.chat(USER)
    client.close()
    assert (first, rest) == ("Your ", [])
    assert stream.answer is not None
    assert stream.answer.finish_reason == "cut"
    assert after.route is Route.FALLBACK
    assert len(upstream.requests) == 1  # the kill switch answered without the upstream


def test_max_tokens_cut_is_recorded_as_length(
    upstream: OpenAIUpstream, reference: Reference
) -> None:
    client = openai.OpenAI(base_url=upstream.url, api_key="test", max_retries=0)
    with guard_on(client, reference) as guard:
        answer = guard.chat(USER, max_tokens=3)
    client.close()
    assert (answer.text, answer.finish_reason) == ("Your refund was", "length")


def test_logprobs_over_http_give_the_token_entropy(upstream: OpenAIUpstream) -> None:
    calls = [
        {**call, "logprobs": [-0.5, -0.7], "top_logprobs": [[-0.5, -1.5], [-0.7, -0.9]]}
        for call in reference_calls()
    ]
    reference = fit_llm_reference(calls, window_sizes=[50])
    client = openai.OpenAI(base_url=upstream.url, api_key="test", max_retries=0)
    with guard_on(client, reference) as guard:
        guard.chat(USER, logprobs=True, top_logprobs=2)
        guard.flush()
        sink = guard.guard.sink
    client.close()
    assert isinstance(sink, MemorySink)
    p = np.exp([-0.5, -1.5]) / np.exp([-0.5, -1.5]).sum()  # the upstream's two alternatives
    entropy = float(-(p * np.log2(p)).sum())
    total = sink.windows[0].columns["token_entropy"].to_dict()["total"]  # type: ignore[attr-defined]
    assert total == pytest.approx(entropy)
