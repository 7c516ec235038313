"""A ``ClosedWindow`` as the JSON the service's window ingest takes (``ClosedWindowCreate``),
and a batch of them as a request body (compact JSON, gzip'd for services that take it)."""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from redline.guard.sinks import ClosedWindow

__all__ = ["JSON_HEADERS", "batch_body", "json_safe", "window_item"]

#: Headers of a plain JSON batch body.
JSON_HEADERS = {"Content-Type": "application/json"}
#: gzip level 1: ~2.5x smaller window JSON at a quarter of the CPU of the default level 6.
GZIP_LEVEL = 1

#: The fields of a review request the service accepts; the Guard keeps more (e.g. revision).
_REVIEW_FIELDS = ("request_id", "reason", "input", "output", "confidence", "threshold")
#: Signal fields the path already carries (model) or the service derives (fingerprint).
_SIGNAL_SKIPPED = ("model", "fingerprint")


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python values and non-finite floats as None.

    The service stores JSON and refuses NaN and Infinity, so a label or an output that is NaN
    travels as null rather than getting the whole window refused.
    """
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays, without importing numpy
    if callable(tolist):
        return json_safe(tolist())
    item = getattr(value, "item", None)
    if callable(item):
        return json_safe(item())
    return str(value)


def _signal(data: dict[str, Any]) -> dict[str, Any]:
    for key in _SIGNAL_SKIPPED:
        data.pop(key, None)
    return data


def window_item(closed: ClosedWindow) -> dict[str, Any]:
    """One element of ``WindowBatchCreate.windows`` for ``closed``."""
    item = {
        "window": closed.window.to_dict(),
        "signals": [_signal(s.to_dict()) for s in closed.signals],
        "feedback": [
            {"request_id": f.request_id, "label": f.label, "at": f.at} for f in closed.feedback
        ],
        "served": [
            {"request_id": request_id, "value": value, "route": route}
            for request_id, value, route in closed.served
        ],
        "reviews": [{k: r.get(k) for k in _REVIEW_FIELDS if k in r} for r in closed.reviews],
    }
    safe: dict[str, Any] = json_safe(item)
    return safe


def batch_body(
    items: Sequence[Mapping[str, Any]], *, compress: bool = True
) -> tuple[bytes, dict[str, str]]:
    """A ``WindowBatchCreate`` body of ``items`` (from :func:`window_item`) and its headers.

    ``compress``: gzip'd with ``Content-Encoding: gzip`` (services since this encoding was
    added inflate it within their body limit); else plain JSON, which every service takes.
    """
    body = json.dumps({"windows": list(items)}, separators=(",", ":")).encode()
    if not compress:
        return body, dict(JSON_HEADERS)
    return gzip.compress(body, GZIP_LEVEL, mtime=0), {**JSON_HEADERS, "Content-Encoding": "gzip"}
