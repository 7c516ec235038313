"""What the gateway answers, in OpenAI's shapes: errors, whole completions and stream chunks."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from redline.domain import Route
from redline.gateway.upstream import Exchange, UpstreamError
from redline.llm import Answer
from redline.llm.chat import text_of
from redline.scanners.base import Action

__all__ = [
    "CUT_REASON",
    "GatewayError",
    "chunk_of",
    "completion_of",
    "error_body",
    "refusal_of",
    "upstream_failure",
]

#: The finish reason a client sees for a stream redline cut (OpenAI's name for filtered output).
CUT_REASON = "content_filter"

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
}


class GatewayError(Exception):
    """A request the gateway answers with an OpenAI-format error."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def error_body(status: int, message: str, code: str | None = None) -> bytes:
    """``{"error": {"message", "type", "param", "code"}}`` as OpenAI writes it."""
    kind = _TYPES.get(status, "api_error" if status < 500 else "upstream_error")
    error = {"message": message, "type": kind, "param": None, "code": code}
    return json.dumps({"error": error}).encode()


def upstream_failure(exc: UpstreamError) -> tuple[int, bytes]:
    """The status and body to answer for an upstream that failed (429 and 4xx pass through)."""
    if exc.timeout:
        return 504, error_body(504, str(exc), "upstream_timeout")
    if exc.status == 0 or exc.status >= 500:
        return 502, error_body(502, str(exc), "upstream_error")
    return exc.status, exc.body or error_body(exc.status, str(exc))


def refusal_of(answer: Answer) -> GatewayError | None:
    """The error for a request redline refused before any model answered, else None."""
    if answer.route is not Route.BLOCK:
        return None
    verdict = answer.prompt_verdict
    if verdict is not None and verdict.action is Action.BLOCK:
        names = [f.scanner for f in verdict.findings if f.score > 0]
        message = f"the prompt was refused by redline's scanners ({', '.join(names)})"
        return GatewayError(400, message, "content_filter")
    return GatewayError(403, answer.error or "refused by redline", "blocked")


def _blocked_output(answer: Answer) -> bool:
    verdict = answer.output_verdict
    return verdict is not None and verdict.action is Action.BLOCK


def completion_of(answer: Answer, exchange: Exchange, model: str) -> bytes:
    """A whole answer: the upstream's own bytes when served unchanged, else rewritten."""
    raw = answer.raw if isinstance(answer.raw, Mapping) else None
    if raw is None:
        return json.dumps(_synthesized(answer, model, exchange.endpoint)).encode()
    if exchange.body is not None and answer.text == text_of(raw):
        return exchange.body
    body = dict(raw)
    choices = [dict(c) for c in body.get("choices") or [{}]]
    first = choices[0]
    if "message" in first or exchange.endpoint != "completions":
        first["message"] = {**(first.get("message") or {}), "content": answer.text}
    else:
        first["text"] = answer.text
    if _blocked_output(answer) or answer.route is Route.REVIEW:
        first["finish_reason"] = CUT_REASON
    body["choices"] = choices
    return json.dumps(body).encode()


def _synthesized(answer: Answer, model: str, endpoint: str) -> dict[str, Any]:
    """A completion no upstream wrote (a canned answer, a refusal, a held request)."""
    head = _head(answer.request_id, model, endpoint, chunk=False)
    if endpoint == "completions":
        choice: dict[str, Any] = {"index": 0, "text": answer.text, "finish_reason": "stop"}
    else:
        message = {"role": "assistant", "content": answer.text}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
    usage = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    return {**head, "choices": [choice], "usage": usage}


def chunk_of(
    request_id: str, model: str, endpoint: str, text: str | None, finish: str | None = None
) -> bytes:
    """One stream chunk redline writes itself: a canned text, or the end of a cut stream."""
    head = _head(request_id, model, endpoint, chunk=True)
    if endpoint == "completions":
        choice: dict[str, Any] = {"index": 0, "text": text or "", "finish_reason": finish}
    else:
        delta = {"role": "assistant", "content": text} if text is not None else {}
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps({**head, "choices": [choice]}).encode()


def _head(request_id: str, model: str, endpoint: str, *, chunk: bool) -> dict[str, Any]:
    if endpoint == "completions":
        kind, prefix = "text_completion", "cmpl"
    else:
        kind, prefix = ("chat.completion.chunk" if chunk else "chat.completion"), "chatcmpl"
    return {
        "id": f"{prefix}-{request_id}",
        "object": kind,
        "created": int(time.time()),
        "model": model,
    }
