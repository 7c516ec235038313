"""The data-plane SDK: Guard, canaries, buffers, sinks, and the remote parts for service mode."""

from __future__ import annotations

from redline.guard.canaries import Canary, CanaryResult, check_canary
from redline.guard.guard import Guard
from redline.guard.http_sink import HttpSink
from redline.guard.remote_route import RemoteRouteSource
from redline.guard.sinks import Feedback, MemorySink, Sink

__all__ = [
    "Canary",
    "CanaryResult",
    "Feedback",
    "Guard",
    "HttpSink",
    "MemorySink",
    "RemoteRouteSource",
    "Sink",
    "check_canary",
]
