"""An ASGI guard in front of the app: request bodies over the limit get a 413, NUL bytes a 400,
and a gzip'd body (``Content-Encoding: gzip``) is inflated, within the same limit, before the app
sees it."""

from __future__ import annotations

import json
import zlib

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RefusedBodyError", "RequestLimits", "inflate"]

#: Past this many times the limit, stop reading and close instead of draining the upload.
DRAIN_FACTOR = 4
#: Content-Encoding values taken as gzip (RFC 9110 asks ``x-gzip`` to be read as ``gzip``).
GZIP = frozenset({"gzip", "x-gzip"})
#: Compressed bodies larger than this are inflated on a worker thread, off the event loop.
INFLATE_INLINE_BYTES = 64 * 1024


class RefusedBodyError(Exception):
    """A body the app must not see, with the status and the reason to answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def inflate(body: bytes, *, max_bytes: int) -> bytes:
    """The gzip ``body`` inflated; RefusedBodyError when it is not one whole gzip member or would
    inflate past ``max_bytes`` (decompression stops there: a zip bomb costs ``max_bytes``)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise RefusedBodyError(400, f"the body is not valid gzip ({exc})") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise RefusedBodyError(413, f"the body inflates past {max_bytes} bytes; send fewer windows")
    if not inflater.eof:
        raise RefusedBodyError(400, "the gzip body is truncated")
    if inflater.unused_data:
        raise RefusedBodyError(400, "the gzip body has data after its end (one gzip member only)")
    return out


class RequestLimits:
    """Read the whole body first (up to ``max_body_bytes``), then hand it to the app."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse oversized bodies and NUL bytes in the URL; pass everything else on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"\x00" in query or b"%00" in query:
            await _answer(send, 400, "NUL characters are not allowed in the URL")
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes * DRAIN_FACTOR:
            await _answer(send, 413, self._too_large())
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body: bytes = message.get("body", b"")
            size += len(body)
            if size > self.max_body_bytes * DRAIN_FACTOR:
                break
            if size <= self.max_body_bytes:
                chunks.append(body)
            more = bool(message.get("more_body", False))
        if size > self.max_body_bytes:
            await _answer(send, 413, self._too_large())
            return
        body = b"".join(chunks)
        try:
            scope, body = await self._decoded(scope, body)
        except RefusedBodyError as refused:
            await _answer(send, refused.status, refused.detail)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _decoded(self, scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        """The scope and body the app sees: a gzip body inflated, its encoding header gone."""
        encoding = _header(scope, b"content-encoding")
        if encoding is None or encoding.strip().lower() in ("", "identity"):
            return scope, body
        if encoding.strip().lower() not in GZIP:
            raise RefusedBodyError(415, f"Content-Encoding {encoding!r} is not supported; use gzip")
        if len(body) > INFLATE_INLINE_BYTES:
            body = await run_in_threadpool(inflate, body, max_bytes=self.max_body_bytes)
        else:
            body = inflate(body, max_bytes=self.max_body_bytes)
        kept = [
            (name, value)
            for name, value in scope.get("headers", [])
            if name not in (b"content-encoding", b"content-length")
        ]
        kept.append((b"content-length", str(len(body)).encode()))
        return {**scope, "headers": kept}, body

    def _too_large(self) -> str:
        mib = self.max_body_bytes / (1024 * 1024)
        return (
            f"request body larger than {self.max_body_bytes} bytes ({mib:g} MiB); "
            "send fewer windows per request"
        )


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value).decode("latin-1")
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # later calls wait for the client to disconnect
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _answer(send: Send, status: int, detail: str) -> None:
    payload = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
