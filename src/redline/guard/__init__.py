"""The data-plane SDK: Guard, buffers, sinks."""

from __future__ import annotations

from redline.guard.guard import Guard
from redline.guard.sinks import Feedback, MemorySink, Sink

__all__ = ["Feedback", "Guard", "MemorySink", "Sink"]
