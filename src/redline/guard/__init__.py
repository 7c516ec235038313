"""The data-plane SDK: Guard, canaries, buffers, sinks."""

from __future__ import annotations

from redline.guard.canaries import Canary, CanaryResult, check_canary
from redline.guard.guard import Guard
from redline.guard.sinks import Feedback, MemorySink, Sink

__all__ = ["Canary", "CanaryResult", "Feedback", "Guard", "MemorySink", "Sink", "check_canary"]
