"""``redline.LLMGuard``: a chat model served through its route and watched like any other model."""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Self

from redline.guard.serve import REFUSE
from redline.llm.campaigns import CampaignRule
from redline.llm.canaries import planted_map
from redline.llm.chat import ChatResult
from redline.llm.columns import LLMColumns, Prices
from redline.llm.limits import LimitedOptions
from redline.llm.runaway import RunawayRule
from redline.llm.signals import playbook_canaries, window_watches
from redline.llm.streams import GuardedStream, StreamDriver
from redline.llm.turn import Answer, TextScanner, Turn
from redline.llm.turns import Turns
from redline.llm.upstream import Messages, Upstream, collect, collect_async
from redline.profiles.reference import Reference, load_reference

if TYPE_CHECKING:
    from redline.services.embedded import Guard

__all__ = ["LLMGuard"]

log = logging.getLogger("redline.llm")

SAFE_RESPONSE = "Sorry, this assistant is unavailable right now. Please try again later."
REFUSAL = "Sorry, I can't help with that."
HELD_RESPONSE = "Your request needs a human review; we will get back to you."


class LLMGuard:
    """Serve a chat model (``fn(messages)`` or an OpenAI client) through its route; watch it.

    Prompts and answers go through ``scanners`` (block: a refusal, no upstream call for a
    prompt; redact: the redacted text goes on; review: the answer is held); the route's kill
    switch serves ``fallback`` or ``safe_response``; blocked sources and input filters (on
    ``prompt`` and ``source``) apply as for any model. Every call is recorded as a row of
    metric columns (`fit_llm_reference`). Streams pass chunks as they arrive and stop at the
    kill switch, at ``stream_check(chunk)``, or with ``stream_scan`` when the scanners would
    block or redact the answer's end. ``guard_options`` go to :class:`redline.Guard`
    (``store``, ``sink``, ``server``/``token``, ``playbook``, ``window_s``...).

    Each window also raises ``prompt_injection`` (a campaign from one source, ``campaign``),
    ``toxic_output`` (answers over ``toxic_threshold``; critical from ``toxic_many``), runaway
    generation (``runaway``) and ``canary_leak`` naming where a canary was planted
    (``leak_canaries``: token → place, plus the playbook's ``leak_canaries``). The route's
    generation limits cap ``max_tokens``/``temperature`` of every upstream call.
    """

    def __init__(
        self,
        *,
        model: str,
        chat: Any,
        reference: Reference | str | os.PathLike[str],
        llm_model: str | None = None,
        fallback: Any = None,
        fallback_model: str | None = None,
        scanners: TextScanner | None = None,
        stream_check: Callable[[str], bool] | None = None,
        stream_scan: bool = False,
        prices: Prices | None = None,
        safe_response: str | None = SAFE_RESPONSE,
        refusal: str = REFUSAL,
        held_response: str = HELD_RESPONSE,
        pii_scanners: Collection[str] = ("pii",),
        pii_threshold: float = 0.5,
        leak_canaries: Sequence[str] | Mapping[str, str] = (),
        campaign: CampaignRule | None = None,
        runaway: RunawayRule | None = None,
        toxic_threshold: float = 0.5,
        toxic_many: int = 10,
        on_error: Literal["fallback", "raise"] = "fallback",
        language: bool = True,
        **guard_options: Any,
    ) -> None:
        from redline.services.embedded import Guard  # the store side loads with a Guard only

        ref = reference if isinstance(reference, Reference) else load_reference(reference)
        self.primary = Upstream(chat, name="primary", llm_model=llm_model)
        backup = None
        if fallback is not None:
            backup = Upstream(fallback, name="fallback", llm_model=fallback_model or llm_model)
        if guard_options.get("versions"):  # versions named by a route are chat targets too
            guard_options["versions"] = _versions(guard_options["versions"], llm_model)
        self.on_error = on_error
        planted = planted_map(leak_canaries)
        if guard_options.get("playbook") is not None:
            guard_options["playbook"], from_playbook = playbook_canaries(guard_options["playbook"])
            planted = {**from_playbook, **planted}
        watches = window_watches(
            ref, campaign or CampaignRule(), runaway, toxic_threshold, toxic_many
        )
        self.guard: Guard = Guard(
            model=model,
            predict=self.primary,
            fallback=backup,
            reference=ref,
            safe_response=safe_response if safe_response is not None else REFUSE,
            # Canaries are looked for in what the model said, before a scanner blocks them.
            derived=LLMColumns(
                ref.raw_columns,
                prices=prices,
                language=language,
                leak_canaries=planted,
                watches=watches,
            ),
            **guard_options,
        )
        self.turns = turns = Turns(
            self.guard,
            scanners=scanners,
            safe_response=safe_response if safe_response is not None else REFUSE,
            refusal=refusal,
            held_response=held_response,
            pii_scanners=pii_scanners,
            pii_threshold=pii_threshold,
            canaries=planted,
        )
        self.limits = LimitedOptions()
        self.streams = StreamDriver(turns, stream_check, scan=stream_scan)

    # -- whole answers ----------------------------------------------------------------------

    def chat(self, messages: Messages, *, source: str | None = None, **options: Any) -> Answer:
        """Answer ``messages`` as the route says; ``options`` go to the client's ``create``."""
        turn = self.turns.begin(messages, source)
        own = self._for_review(turn, options)
        if turn.upstream is None:
            return self.turns.finish(turn, None, own=own)
        try:
            result = collect(self._invoke(turn, options, stream=False))
        except Exception as exc:
            if not self._fail_over(turn, exc):
                raise
            result = collect(self._invoke(turn, options, stream=False))
        return self.turns.finish(turn, result, own=own)

    async def achat(
        self, messages: Messages, *, source: str | None = None, **options: Any
    ) -> Answer:
        """`chat` for async clients and callables (sync callables run on the event loop)."""
        turn = self.turns.begin(messages, source)
        own = await self._afor_review(turn, options)
        if turn.upstream is None:
            return self.turns.finish(turn, None, own=own)
        try:
            result = await collect_async(self._invoke(turn, options, stream=False))
        except Exception as exc:
            if not self._fail_over(turn, exc):
                raise
            result = await collect_async(self._invoke(turn, options, stream=False))
        return self.turns.finish(turn, result, own=own)

    def _invoke(self, turn: Turn, options: Mapping[str, Any], *, stream: bool) -> Any:
        assert turn.upstream is not None
        return self.limits.invoke(turn.upstream, turn, options, stream=stream)

    def _fail_over(self, turn: Turn, error: Exception) -> bool:
        """Whether the fallback answers for a primary that failed; else the failure is recorded."""
        if self.on_error == "fallback" and self.turns.fail_over(turn, error):
            return True
        self.turns.fail(turn)
        return False

    def _for_review(self, turn: Turn, options: Mapping[str, Any]) -> ChatResult | None:
        """The primary's own answer for a reviewer, when an input filter held the request."""
        if turn.reviewer is None:
            return None
        primary = turn.plan.primary
        assert isinstance(primary, Upstream)
        result = collect(self.limits.invoke(primary, turn, options, stream=False))
        self.turns.review(turn, result)
        return result

    async def _afor_review(self, turn: Turn, options: Mapping[str, Any]) -> ChatResult | None:
        if turn.reviewer is None:
            return None
        primary = turn.plan.primary
        assert isinstance(primary, Upstream)
        result = await collect_async(self.limits.invoke(primary, turn, options, stream=False))
        self.turns.review(turn, result)
        return result

    # -- streamed answers ---------------------------------------------------------------------

    def stream(
        self, messages: Messages, *, source: str | None = None, **options: Any
    ) -> GuardedStream:
        """Stream the answer's text chunks as they arrive (``for text in guard.stream(...)``)."""
        turn = self.turns.begin(messages, source)
        out = GuardedStream(turn.request_id)
        own = self._for_review(turn, options)
        if turn.upstream is None:
            return self.streams.served(turn, out, own)
        try:
            chunks = self._invoke(turn, options, stream=True)
        except Exception as exc:
            if not self._fail_over(turn, exc):
                raise
            chunks = self._invoke(turn, options, stream=True)
        out.chunks = self.streams.run(turn, chunks, out, own)
        return out

    async def astream(
        self, messages: Messages, *, source: str | None = None, **options: Any
    ) -> GuardedStream:
        """`stream` for async clients: ``async for text in await guard.astream(...)``."""
        turn = self.turns.begin(messages, source)
        out = GuardedStream(turn.request_id)
        own = await self._afor_review(turn, options)
        if turn.upstream is None:
            return self.streams.served(turn, out, own)
        try:
            chunks = await _resolved(self._invoke(turn, options, stream=True))
        except Exception as exc:
            if not self._fail_over(turn, exc):
                raise
            chunks = await _resolved(self._invoke(turn, options, stream=True))
        out.achunks = self.streams.arun(turn, chunks, out, own)
        return out

    # -- lifecycle ----------------------------------------------------------------------------

    def flush(self, timeout_s: float = 30.0) -> None:
        """Close the open window and wait until it is stored and responded to."""
        self.guard.flush(timeout_s)

    def close(self) -> None:
        """Flush the open window and stop the Guard's threads."""
        self.guard.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _versions(targets: Mapping[str, Any], llm_model: str | None) -> dict[str, Upstream]:
    return {
        name: Upstream(target, name=name, llm_model=llm_model) for name, target in targets.items()
    }


async def _resolved(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
