"""An ASGI guard in front of the app: request bodies over the limit get a 413, NUL bytes a 400."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RequestLimits"]

#: Past this many times the limit, stop reading and close instead of draining the upload.
DRAIN_FACTOR = 4


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
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    def _too_large(self) -> str:
        mib = self.max_body_bytes / (1024 * 1024)
        return (
            f"request body larger than {self.max_body_bytes} bytes ({mib:g} MiB); "
            "send fewer windows per request"
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
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
