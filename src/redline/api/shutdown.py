"""Requests still running when the server stops get a 503 with Retry-After, not uvicorn's 500.

uvicorn's graceful shutdown waits ``timeout_graceful_shutdown`` seconds, then cancels the
requests still running (a long-poll, or one waiting for an unreachable database); a cancelled
request that has not started its answer would get "500 Internal Server Error". The client
should retry elsewhere or later, so it is told so.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["RETRY_AFTER_S", "AnswerCancelled"]

log = logging.getLogger("redline.api")

#: What a request cut short by a shutdown is told to wait before trying again.
RETRY_AFTER_S = 5
_DETAIL = "the server is shutting down; retry"


class AnswerCancelled:
    """Answer 503 with Retry-After for a request cancelled before its answer started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; answer 503 if it is cancelled before it answered."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except asyncio.CancelledError:
            if started:
                raise
            # The cancel was the server's way to end this request: answering ends it too.
            log.warning(
                "%s %s: cancelled at shutdown, answered 503", scope["method"], scope["path"]
            )
            await _answer_503(send)


async def _answer_503(send: Send) -> None:
    body = json.dumps({"detail": _DETAIL}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
