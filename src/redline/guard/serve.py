"""Serve one row as a RoutePlan says: blocks, filters, kill switch, fallback, patch, review."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from redline.domain import Route
from redline.guard.plan import RoutePlan, patch_output
from redline.profiles.tabular import Columns, TableLike, n_rows_of

__all__ = ["REFUSE", "Router", "Served", "serve_batch"]

#: The kill switch with neither a fallback nor a safe response refuses the request.
REFUSE: Any = object()


class Served(NamedTuple):
    """What serving one row produced: the value, the route, any error, and the model's own answer.

    ``output`` is what the primary answered (also when held for review), None when it did not
    answer: windows judge the model on it, never on a fallback's or a reviewer's answer.
    """

    value: Any
    route: Route
    error: str | None
    output: Any = None


_BLOCKED = "refused: blocked by an active containment rule"
_SWITCHED_OFF = "refused: the model is switched off and no fallback is set"


class Router:
    """The routing logic shared by live requests and canaries; records nothing itself."""

    __slots__ = ("confidence", "on_error", "review_queue", "safe_response")

    def __init__(
        self,
        *,
        safe_response: Any,
        confidence: Callable[[Any], float] | None,
        on_error: Literal["fallback", "raise"],
        review_queue: deque[dict[str, Any]],
    ) -> None:
        self.safe_response = safe_response
        self.confidence = confidence
        self.on_error = on_error
        self.review_queue = review_queue

    def serve(self, plan: RoutePlan, row: Any, source: str | None, request_id: str = "") -> Served:
        """Serve ``row``; a model error propagates when no fallback may answer instead."""
        action = plan.filter_action(row) if plan.filters else None
        if (source is not None and plan.blocks(source)) or action == "block":
            return Served(None, Route.BLOCK, _BLOCKED)
        if plan.serves_fallback or action == "fallback":
            return self._serve_fallback(plan, row)
        error = None
        try:
            value, taken = plan.primary(row), Route.PRIMARY
        except Exception as exc:
            if plan.fallback is None or self.on_error == "raise":
                raise
            error = f"{type(exc).__name__}: {exc}"
            value, taken = plan.fallback(row), Route.FALLBACK
        if plan.patch is not None:
            value = patch_output(value, plan.patch)
        output = value if error is None else None
        if action == "review":
            value, taken = self._hold_for_review(plan, row, value, request_id, "input filter", None)
        elif plan.state.confidence_threshold is not None:
            confidence = self._confidence_of(value)
            if confidence is None or confidence < plan.state.confidence_threshold:
                reason = "low confidence" if confidence is not None else "confidence unreadable"
                value, taken = self._hold_for_review(
                    plan, row, value, request_id, reason, confidence
                )
        return Served(value, taken, error, output)

    def with_review_queue(self, review_queue: deque[dict[str, Any]]) -> Router:
        """The same routing with held rows going to another queue (canaries stay out of people's)."""
        return Router(
            safe_response=self.safe_response,
            confidence=self.confidence,
            on_error=self.on_error,
            review_queue=review_queue,
        )

    def _serve_fallback(self, plan: RoutePlan, row: Any) -> Served:
        if plan.fallback is not None:
            return Served(plan.fallback(row), Route.FALLBACK, None)
        if self.safe_response is not REFUSE:
            return Served(self.safe_response, Route.FALLBACK, None)
        return Served(None, Route.BLOCK, _SWITCHED_OFF)

    def _confidence_of(self, value: Any) -> float | None:
        """The model's confidence in ``value``; None when it cannot be read (held for review)."""
        if self.confidence is None:
            return math.inf  # no way to read confidence: the threshold cannot apply
        try:
            confidence = float(self.confidence(value))
        except Exception:
            return None
        return confidence if math.isfinite(confidence) else None

    def _hold_for_review(
        self,
        plan: RoutePlan,
        row: Any,
        value: Any,
        request_id: str,
        reason: str,
        confidence: float | None,
    ) -> tuple[Any, Route]:
        self.review_queue.append(
            {
                "request_id": request_id,
                "input": dict(row) if isinstance(row, dict) else row,
                "output": value,
                "reason": reason,
                "confidence": confidence,
                "threshold": plan.state.confidence_threshold,
                "revision": plan.state.revision,
            }
        )
        if plan.state.review_mode == "fallback" and plan.fallback is not None:
            return plan.fallback(row), Route.REVIEW
        return None, Route.REVIEW


def serve_batch(
    plan: RoutePlan, data: TableLike, columns: Columns, predict_batch: Callable[[Any], Any] | None
) -> tuple[Any, Route]:
    """Serve a whole batch: the fallback under the kill switch, else the batch or row predictor."""
    if plan.serves_fallback and plan.fallback is not None:
        return _each(plan.fallback, columns), Route.FALLBACK
    if predict_batch is not None:
        return predict_batch(data), Route.PRIMARY
    return _each(plan.primary, columns), Route.PRIMARY


def _each(fn: Callable[[Any], Any], columns: Columns) -> list[Any]:
    names = list(columns)
    return [fn({name: columns[name][i] for name in names}) for i in range(n_rows_of(columns))]
