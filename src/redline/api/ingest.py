"""Turning an ingest request into the ``ClosedWindow`` the store expects, refusing bad windows;
``CheckedJsonRoute`` parses ingest bodies once (no second walk) and refuses other media types."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC
from email.message import Message
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from redline.api.schemas import INT32, ClosedWindowCreate, load_checked_json
from redline.domain import Signal
from redline.errors import DataError
from redline.guard.sinks import ClosedWindow, Feedback
from redline.profiles.window import WindowProfile

__all__ = ["CheckedJsonRequest", "CheckedJsonRoute", "closed_window"]


class CheckedJsonRequest(Request):
    """A request whose JSON body is checked while parsed (see ``schemas.load_checked_json``)."""

    async def json(self) -> Any:
        """The parsed body, parsed once."""
        if not hasattr(self, "_json"):
            self._json = load_checked_json(await self.body())
        return self._json


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return True  # FastAPI reads a body without a media type as JSON
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class CheckedJsonRoute(APIRoute):
    """A route whose body is JSON only (else 415), parsed by ``CheckedJsonRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The default handler, given a ``CheckedJsonRequest``."""
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if not _is_json(request.headers.get("content-type")):
                detail = "send the body as application/json (optionally Content-Encoding: gzip)"
                return JSONResponse({"detail": detail}, status_code=415)
            return await handler(CheckedJsonRequest(request.scope, request.receive))

        return checked


def _window(data: dict[str, object]) -> WindowProfile:
    try:
        window = WindowProfile.from_dict(data)
    except Exception as exc:  # any malformed profile is the sender's to fix, never a crash
        raise DataError(f"'window' is not a WindowProfile.to_dict(): {exc!r}") from exc
    name = window.window_id
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        raise DataError("window_id must be 1-200 printable characters")
    for label, at in (("start", window.start), ("end", window.end)):
        if at is None:
            continue
        if at.utcoffset() is None:
            raise DataError(f"window {name!r}: {label} {at.isoformat()} has no time zone")
        try:
            at.astimezone(UTC)
        except OverflowError:
            raise DataError(f"window {name!r}: {label} is out of range") from None
    if window.start is not None and window.end is not None and window.end < window.start:
        raise DataError(f"window {name!r} ends before it starts")
    if not 0 <= window.n_rows <= INT32:
        raise DataError(f"window {name!r}: n_rows {window.n_rows} is out of range")
    return window


def closed_window(model: str, item: ClosedWindowCreate) -> ClosedWindow:
    """The closed window of ``model`` that ``item`` describes; raises DataError when malformed."""
    signals = [
        Signal(
            monitor=s.monitor,
            kind=s.kind,
            column=s.column,
            statistic=s.statistic,
            value=s.value,
            threshold=s.threshold,
            level=s.level,
            window_start=s.window_start,
            window_end=s.window_end,
            n_rows=s.n_rows,
            model=model,
            evidence=dict(s.evidence),
        )
        for s in item.signals
    ]
    return ClosedWindow(
        model=model,
        window=_window(item.window),
        signals=signals,
        feedback=[Feedback(f.request_id, f.label, f.at) for f in item.feedback],
        served=[(s.request_id, s.value, s.route.value) for s in item.served],
        reviews=[r.model_dump() for r in item.reviews],
    )
