"""An OpenAI-compatible upstream over HTTP, shaped as a client the LLM Guard can call.

``UpstreamClient.chat.completions.create`` posts to the upstream and returns its JSON as a
dict, or (``stream=True``) an async iterator of its server-sent chunks as dicts. The raw bytes
of what the upstream sent are kept on the request's `Exchange` (a context variable the
gateway sets per request), so the gateway passes the upstream's own chunks on unchanged.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import httpx

from redline.errors import DataError
from redline.gateway.config import UpstreamConfig

__all__ = ["EXCHANGE", "Exchange", "UpstreamClient", "UpstreamError"]


class UpstreamError(Exception):
    """The upstream answered with an error status, or could not be reached (``status`` 0)."""

    def __init__(self, status: int, body: bytes, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.timeout = timeout


@dataclass(slots=True)
class Exchange:
    """What one gateway request sent to and got from its upstream(s)."""

    endpoint: str = "chat/completions"
    body: bytes | None = None  # a whole answer's bytes, as the upstream sent them
    pending: list[tuple[bytes, Mapping[str, Any]]] = field(default_factory=list)  # stream chunks


#: The exchange of the request being served (each request runs in a task of its own).
EXCHANGE: ContextVar[Exchange | None] = ContextVar("redline_gateway_exchange", default=None)


class _Completions:
    def __init__(self, client: UpstreamClient) -> None:
        self.create = client.create


class _Chat:
    def __init__(self, client: UpstreamClient) -> None:
        self.completions = _Completions(client)


class UpstreamClient:
    """One upstream server; ``chat.completions.create`` is what `redline.LLMGuard` calls."""

    def __init__(self, name: str, config: UpstreamConfig) -> None:
        self.name = name
        self.config = config
        self.chat = _Chat(self)
        headers = {"Content-Type": "application/json", **config.headers}
        if config.api_key_env is not None:
            key = os.environ.get(config.api_key_env)
            if not key:
                raise DataError(
                    f"upstream '{name}': ${config.api_key_env} is not set; export the "
                    "upstream's API key first, or drop api_key_env"
                )
            headers["Authorization"] = f"Bearer {key}"
        self.headers = headers
        self._http: httpx.AsyncClient | None = None
        self._urls: dict[str, httpx.URL] = {}  # parsed once: httpx re-parses relative paths

    @property
    def http(self) -> httpx.AsyncClient:
        """The connection pool, made on first use inside the serving event loop."""
        if self._http is None:
            timeout = httpx.Timeout(self.config.timeout_s, connect=self.config.connect_timeout_s)
            limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
            base = self.config.base_url.rstrip("/") + "/"
            self._http = httpx.AsyncClient(
                base_url=base, headers=self.headers, timeout=timeout, limits=limits
            )
        return self._http

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def create(
        self, *, model: str, messages: list[Mapping[str, Any]], stream: bool = False, **options: Any
    ) -> Any:
        """Call the upstream: its JSON answer, or an async iterator of its chunks."""
        exchange = EXCHANGE.get() or Exchange()
        body: dict[str, Any] = {**options, "model": model}
        if exchange.endpoint == "completions":  # the legacy endpoint takes the prompt as text
            body["prompt"] = str(messages[-1].get("content", "")) if messages else ""
        else:
            body["messages"] = messages
        if stream:
            body["stream"] = True
        else:
            body.pop("stream_options", None)
        request = self.http.build_request(
            "POST", self.url_of(exchange.endpoint), content=json.dumps(body).encode()
        )
        response = await self.send(request, stream=stream)
        if not stream:
            exchange.body = response.content
            try:
                return json.loads(exchange.body)
            except ValueError:
                raise UpstreamError(0, b"", f"upstream {self.name!r} sent no JSON") from None
        return _chunks(response, exchange)

    def url_of(self, path: str) -> httpx.URL:
        """The absolute URL of an endpoint (``chat/completions``) under the base URL."""
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = httpx.URL(self.config.base_url.rstrip("/") + "/" + path)
        return url

    async def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send ``request``; an error status or a failure to connect raises `UpstreamError`."""
        try:
            response = await self.http.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise UpstreamError(0, b"", f"upstream {self.name!r} timed out", timeout=True) from exc
        except httpx.HTTPError as exc:
            message = f"upstream {self.name!r} is unreachable: {type(exc).__name__}"
            raise UpstreamError(0, b"", message) from exc
        if response.status_code >= 400:
            content = await response.aread()
            await response.aclose()
            message = f"upstream {self.name!r} answered {response.status_code}"
            raise UpstreamError(response.status_code, content, message)
        return response

    async def forward(self, path: str, content: bytes) -> httpx.Response:
        """POST ``content`` to ``path`` as is (embeddings): the upstream's whole response."""
        request = self.http.build_request("POST", self.url_of(path), content=content)
        return await self.send(request)


async def _chunks(response: httpx.Response, exchange: Exchange) -> AsyncIterator[Any]:
    """The upstream's server-sent chunks as dicts; each one's bytes kept on ``exchange``."""
    try:
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, comments, event names
            data = line[5:].strip()
            if data == "[DONE]":
                break
            chunk = json.loads(data)
            if isinstance(chunk, dict) and "error" in chunk:
                raise UpstreamError(502, data.encode(), "the upstream sent an error mid-stream")
            exchange.pending.append((data.encode(), chunk))
            yield chunk
    finally:
        await response.aclose()
