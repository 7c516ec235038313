"""One LLM request from the prompt to the record: scan, route, then scan, redact or hold the answer.

`Turns` holds what every call shape shares (sync, async, streamed); the drivers in
``guard.py`` only make the upstream call. No I/O here: scanners are pure and recording
appends to the Guard's buffer.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Collection, Mapping
from typing import Any

from redline.domain import Route
from redline.guard.guard import GuardEngine
from redline.guard.plan import patch_output
from redline.guard.serve import Router, Served
from redline.llm.chat import ChatResult
from redline.llm.columns import CallDetails, scores_of
from redline.llm.turn import Answer, TextScanner, Turn, prompt_of, with_prompt
from redline.llm.upstream import Messages, Upstream
from redline.scanners.base import Action, ScanContext, Verdict

__all__ = ["Turns"]

log = logging.getLogger("redline.llm")


class Turns:
    """The decisions around each call: prompt scan, route, output scan, review, record."""

    def __init__(
        self,
        engine: GuardEngine,
        *,
        scanners: TextScanner | None,
        safe_response: Any,
        refusal: str,
        held_response: str,
        pii_scanners: Collection[str],
        pii_threshold: float,
        canaries: Mapping[str, str],
    ) -> None:
        self.engine = engine
        self.scanners = scanners
        self.safe_response = safe_response
        self.refusal = refusal
        self.held_response = held_response
        self.pii_scanners = frozenset(pii_scanners)
        self.pii_threshold = pii_threshold
        self.canaries = dict(canaries)

    def scan(self, text: str, context: ScanContext) -> Verdict | None:
        """The scanners' verdict; None (allow) when they fail: scanning fails open, logged."""
        if self.scanners is None:
            return None
        try:
            return self.scanners.scan(text, context)
        except Exception:
            log.exception("redline could not scan a %s of %s", context.direction, self.engine.model)
            return None

    def begin(self, messages: Messages, source: str | None) -> Turn:
        """Scan the prompt and route the request; says which upstream to call, if any."""
        started = time.perf_counter()
        prompt, system = prompt_of(messages)
        verdict = self.scan(prompt, ScanContext("prompt", system, self.canaries))
        request_id, plan = self.engine.new_request_id(), self.engine.plan
        context = ScanContext("output", system, self.canaries)
        turn = Turn(request_id, messages, prompt, source, plan, started, context, _NOTHING)
        turn.prompt_verdict = verdict
        if verdict is not None:
            turn.scores.update(scores_of("prompt", verdict))
            if verdict.action is Action.BLOCK:
                turn.served = Served(self.refusal, Route.BLOCK, "refused: the prompt scanners")
                return turn
            if verdict.action is Action.REDACT:
                turn.messages, turn.prompt = with_prompt(messages, verdict.text), verdict.text
            elif verdict.action is Action.REVIEW:
                turn.review_reason = "prompt scanners"
        held: deque[dict[str, Any]] = deque()
        router = Router(
            safe_response=self.safe_response, confidence=None, on_error="raise", review_queue=held
        )
        row = {"prompt": turn.prompt, "source": source}
        turn.served = served = router.serve(plan, row, source, request_id)
        turn.reviewer = held[0] if held else None
        if isinstance(served.value, Upstream):
            turn.upstream = served.value
        elif served.route is Route.BLOCK:
            turn.served = served._replace(value=self.refusal)
        elif served.value is None:
            turn.served = served._replace(value=self.held_response)
        return turn

    def review(self, turn: Turn, result: ChatResult) -> None:
        """Hold the primary's answer an input filter sent to review (the caller gets another)."""
        assert turn.reviewer is not None
        self.engine.hold_for_review({**turn.reviewer, "input": turn.prompt, "output": result.text})

    def fail_over(self, turn: Turn, error: BaseException) -> bool:
        """The primary failed before answering: serve the fallback instead, if there is one."""
        fallback = turn.plan.fallback
        if turn.upstream is not turn.plan.primary or not isinstance(fallback, Upstream):
            return False
        turn.upstream = fallback
        turn.served = Served(fallback, Route.FALLBACK, f"{type(error).__name__}: {error}")
        return True

    def fail(self, turn: Turn) -> None:
        """Record a call that failed with nothing to answer instead (the caller gets the error)."""
        latency_ms = (time.perf_counter() - turn.started) * 1000.0
        self._record(turn, None, latency_ms, (), turn.served._replace(value=None), "error")

    def cut(self, turn: Turn) -> bool:
        """A stream must stop: the kill switch went on or its source was blocked since it began."""
        plan = self.engine.plan
        if plan is turn.plan:
            return False
        return plan.serves_fallback or (turn.source is not None and plan.blocks(turn.source))

    def finish(
        self, turn: Turn, result: ChatResult | None, *, streamed: bool = False, own: Any = None
    ) -> Answer:
        """Scan the answer, redact, block or hold it, record the call; what the caller gets."""
        latency_ms = (time.perf_counter() - turn.started) * 1000.0
        served, verdict = turn.served, None
        pii: tuple[str, ...] = ()
        text = served.value if isinstance(served.value, str) else ""
        from_primary = result is not None and turn.upstream is turn.plan.primary
        own = result if from_primary else own
        if result is not None:
            turn.model_output = result.text
            verdict = self.scan(result.text, turn.context)
            text, served = self._judge(turn, result.text, verdict, streamed)
            pii = self._pii(verdict)
        if verdict is not None and from_primary:
            turn.scores.update(scores_of("output", verdict))
        if turn.plan.patch is not None and not streamed:
            text = str(patch_output(text, turn.plan.patch))
        own_text = own.text if isinstance(own, ChatResult) else None
        final = served._replace(value=text, output=own_text)
        self._record(turn, own, latency_ms, pii, final, final.route.value)
        return Answer(
            text=text,
            request_id=turn.request_id,
            route=served.route,
            error=served.error,
            latency_ms=latency_ms,
            ttft_ms=turn.ttft_ms,
            finish_reason=result.finish_reason if result else None,
            prompt_tokens=result.prompt_tokens if result else None,
            completion_tokens=result.completion_tokens if result else None,
            prompt_verdict=turn.prompt_verdict,
            output_verdict=verdict,
            raw=result.raw if result else None,
        )

    def _judge(
        self, turn: Turn, text: str, verdict: Verdict | None, streamed: bool
    ) -> tuple[str, Served]:
        """The answer after the output verdict (a streamed one has already been read)."""
        served = turn.served
        action = verdict.action if verdict is not None else Action.ALLOW
        reason = "output scanners"
        if turn.review_reason is not None and action.severity < Action.REVIEW.severity:
            action, reason = Action.REVIEW, turn.review_reason
        if action is Action.BLOCK:
            blocked = served._replace(error="refused: the output scanners")
            return (text if streamed else self.refusal), blocked
        if action is Action.REDACT and verdict is not None:
            return (text if streamed else verdict.text), served
        if action is Action.REVIEW:
            self.engine.hold_for_review(
                {
                    "request_id": turn.request_id,
                    "input": turn.prompt,
                    "output": text,
                    "reason": reason,
                    "scores": dict(turn.scores),
                    "revision": turn.plan.state.revision,
                }
            )
            if not streamed:
                return self.held_response, served._replace(route=Route.REVIEW)
        return text, served

    def _pii(self, verdict: Verdict | None) -> tuple[str, ...]:
        """The entity types the PII scanners found over their threshold (never the values)."""
        if verdict is None:
            return ()
        found = {
            evidence.rule if evidence is not None else finding.scanner
            for finding in verdict.findings
            if finding.scanner in self.pii_scanners and finding.score >= self.pii_threshold
            for evidence in (finding.evidence or (None,))
        }
        return tuple(sorted(found))

    def _record(
        self,
        turn: Turn,
        own: ChatResult | None,
        latency_ms: float,
        pii: tuple[str, ...],
        served: Served,
        route: str,
    ) -> None:
        details = CallDetails(
            logprobs=tuple(own.logprobs) if own else (),
            top_logprobs=tuple(tuple(t) for t in own.top_logprobs) if own else (),
            scores=dict(turn.scores),
            pii=pii,
            source=turn.source,
        )
        row = {
            "request_id": turn.request_id,
            "prompt": turn.prompt,
            "answer": own.text if own else None,
            "model_output": turn.model_output,
            "prompt_tokens": own.prompt_tokens if own else None,
            "completion_tokens": own.completion_tokens if own else None,
            "llm_model": turn.plan.primary.llm_model
            if isinstance(turn.plan.primary, Upstream)
            else None,
            "finish_reason": own.finish_reason if own else None,
            "latency_ms": latency_ms if own else None,
            "ttft_ms": turn.ttft_ms if own else None,
            "details": details,
        }
        self.engine.record(
            row,
            value=served.value,
            output=served.output,
            route=route,
            source=turn.source,
            latency_ms=latency_ms,
            request_id=turn.request_id,
        )


#: Placeholder until the Router has decided.
_NOTHING = Served(None, Route.BLOCK, None)
