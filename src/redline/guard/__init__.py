"""The data plane: the request-path engine behind ``redline.Guard``, canaries, buffers, sinks, and the
remote parts for service mode."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from redline.guard.canaries import Canary, CanaryResult, check_canary
from redline.guard.guard import GuardEngine
from redline.guard.sinks import Feedback, MemorySink, Sink

if TYPE_CHECKING:
    from redline.guard.http_sink import HttpSink
    from redline.guard.remote_route import RemoteRouteSource

__all__ = [
    "Canary",
    "CanaryResult",
    "Feedback",
    "GuardEngine",
    "HttpSink",
    "MemorySink",
    "RemoteRouteSource",
    "Sink",
    "check_canary",
]

#: Service mode's parts load on first use: an embedded Guard needs neither.
_LAZY = {"HttpSink": "redline.guard.http_sink", "RemoteRouteSource": "redline.guard.remote_route"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'redline.guard' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
