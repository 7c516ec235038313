"""The gateway's ASGI app: OpenAI's endpoints, each chat request served through its LLM Guard."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from redline.gateway.callers import Caller
from redline.gateway.gateway import Gateway
from redline.gateway.replies import (
    GatewayError,
    completion_of,
    error_body,
    refusal_of,
    upstream_failure,
)
from redline.gateway.streaming import sse_events
from redline.gateway.upstream import EXCHANGE, Exchange, UpstreamError
from redline.llm import LLMGuard

__all__ = ["create_gateway_app"]

log = logging.getLogger("redline.gateway")

_JSON = "application/json"
#: Request fields the gateway reads itself; every other one goes to the upstream as sent.
_OWN_FIELDS = frozenset({"model", "messages", "prompt", "stream"})


def create_gateway_app(gateway: Gateway) -> FastAPI:
    """The OpenAI-compatible app serving ``gateway`` (closing its upstream pools at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await gateway.aclose_upstreams()

    app = FastAPI(
        title="redline gateway", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )

    @app.exception_handler(GatewayError)
    async def _refused(request: Request, exc: GatewayError) -> Response:
        return Response(error_body(exc.status, exc.message, exc.code), exc.status, media_type=_JSON)

    @app.exception_handler(Exception)
    async def _failed(request: Request, exc: Exception) -> Response:
        log.exception("redline gateway: %s %s failed", request.method, request.url.path)
        message = f"the redline gateway failed: {type(exc).__name__}"
        return Response(error_body(500, message), 500, media_type=_JSON)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        return await _serve(gateway, request, "chat/completions")

    @app.post("/v1/completions")
    async def completions(request: Request) -> Response:
        return await _serve(gateway, request, "completions")

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Response:
        return await _forward(gateway, request, "embeddings")

    @app.get("/v1/models")
    async def models(request: Request) -> Response:
        gateway.callers.key_name(request.headers.get("authorization"))
        listed = [
            {"id": name, "object": "model", "created": 0, "owned_by": "redline-gateway"}
            for name in gateway.models()
        ]
        return Response(json.dumps({"object": "list", "data": listed}), media_type=_JSON)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"ok"}', media_type=_JSON)

    return app


async def _payload(gateway: Gateway, request: Request) -> tuple[dict[str, Any], str | None]:
    """The request's JSON object and the caller's key name; 400/401/413 otherwise."""
    key_name = gateway.callers.key_name(request.headers.get("authorization"))
    limit = gateway.config.max_body_bytes
    if int(request.headers.get("content-length") or 0) > limit:
        raise GatewayError(413, f"the request body is over {limit} bytes", "body_too_large")
    body = await request.body()
    if len(body) > limit:
        raise GatewayError(413, f"the request body is over {limit} bytes", "body_too_large")
    try:
        payload = json.loads(body)
    except ValueError:
        raise GatewayError(400, "We could not parse the JSON body of your request.") from None
    if not isinstance(payload, dict):
        raise GatewayError(400, "the request body must be a JSON object")
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        raise GatewayError(400, "you must provide a model parameter", "missing_model")
    return payload, key_name


def _messages_of(payload: dict[str, Any], endpoint: str) -> list[dict[str, Any]]:
    """The chat messages of a request (a completions prompt becomes one user message)."""
    if endpoint == "completions":
        prompt = payload.get("prompt")
        if not isinstance(prompt, str):
            raise GatewayError(400, "prompt must be one string through the redline gateway")
        return [{"role": "user", "content": prompt}]
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise GatewayError(400, "messages must be a non-empty list", "invalid_messages")
    if not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise GatewayError(400, "each message must be an object with a 'role'", "invalid_messages")
    return [_text_only(m) for m in messages]


def _text_only(message: dict[str, Any]) -> dict[str, Any]:
    """A message whose content is a list of text parts, as one string: what the scanners read.

    Other parts (images, audio) are refused rather than passed unscanned.
    """
    content = message.get("content")
    if not isinstance(content, list):
        return message
    if not all(isinstance(p, dict) and p.get("type") == "text" for p in content):
        raise GatewayError(
            400, "only text content parts pass the redline gateway", "unsupported_content"
        )
    return {**message, "content": "".join(str(p.get("text", "")) for p in content)}


async def _serve(gateway: Gateway, request: Request, endpoint: str) -> Response:
    """One completion request through the LLM Guard of its model."""
    payload, key_name = await _payload(gateway, request)
    messages = _messages_of(payload, endpoint)
    if isinstance(payload.get("n"), int) and payload["n"] > 1:
        raise GatewayError(400, "n > 1 is not supported by the redline gateway", "unsupported")
    model: str = payload["model"]
    guard = gateway.guard_for(model)
    user = payload.get("user")
    caller = Caller(
        key_name=key_name,
        user=user if isinstance(user, str) else None,
        ip=request.client.host if request.client is not None else None,
        headers=request.headers,
    )
    source = gateway.callers.source_of(caller)
    options = {k: v for k, v in payload.items() if k not in _OWN_FIELDS}
    exchange = Exchange(endpoint=endpoint)
    token = EXCHANGE.set(exchange)
    try:
        if payload.get("stream"):
            return await _stream(guard, messages, source, options, exchange, model)
        answer = await guard.achat(messages, source=source, **options)
    except UpstreamError as exc:
        status, content = upstream_failure(exc)
        return Response(content, status, media_type=_JSON)
    finally:
        EXCHANGE.reset(token)
    refused = refusal_of(answer)
    if refused is not None:
        raise refused
    headers = {"x-redline-request-id": answer.request_id, "x-redline-route": answer.route.value}
    return Response(completion_of(answer, exchange, model), media_type=_JSON, headers=headers)


async def _stream(
    guard: LLMGuard,
    messages: list[dict[str, Any]],
    source: str | None,
    options: dict[str, Any],
    exchange: Exchange,
    model: str,
) -> Response:
    """A streamed answer as server-sent events; refusals before any chunk are plain errors."""
    asked = options.get("stream_options") or {}
    if not isinstance(asked, dict):
        raise GatewayError(400, "stream_options must be an object")
    # Usage is always asked for (the guard records tokens); passed on only if the caller asked.
    options["stream_options"] = {**asked, "include_usage": True}
    stream = await guard.astream(messages, source=source, **options)
    if stream.answer is not None and (refused := refusal_of(stream.answer)) is not None:
        raise refused
    want_usage = bool(asked.get("include_usage"))
    events = sse_events(stream, exchange, model, exchange.endpoint, want_usage=want_usage)
    headers = {"x-redline-request-id": stream.request_id, "Cache-Control": "no-cache"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


async def _forward(gateway: Gateway, request: Request, endpoint: str) -> Response:
    """An unguarded request (embeddings) passed to the model's upstream as is."""
    payload, _ = await _payload(gateway, request)
    upstream, upstream_model = gateway.passthrough_for(payload["model"])
    payload["model"] = upstream_model
    try:
        response = await upstream.forward(endpoint, json.dumps(payload).encode())
    except UpstreamError as exc:
        status, content = upstream_failure(exc)
        return Response(content, status, media_type=_JSON)
    media = response.headers.get("content-type", _JSON)
    return Response(response.content, response.status_code, media_type=media)
