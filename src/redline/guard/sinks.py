"""Where a Guard sends closed windows, their signals, and feedback labels."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from redline.domain import Signal
from redline.profiles.window import WindowProfile

__all__ = ["ClosedWindow", "Feedback", "MemorySink", "Sink"]


@dataclass(frozen=True, slots=True)
class Feedback:
    """A label for an earlier prediction, joined to it by request id."""

    request_id: str
    label: Any
    at: datetime


@dataclass(frozen=True)
class ClosedWindow:
    """Everything a Guard hands over when a window closes.

    ``served`` lists (request id, value served, route) for each row served one by one, so
    labels arriving later can be joined to what was served; ``reviews`` are the predictions
    held for people, each with its request id, reason, input and the model's output.
    """

    model: str
    window: WindowProfile
    signals: list[Signal] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    served: list[tuple[str, Any, str]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)


@runtime_checkable
class Sink(Protocol):
    """Receives a Guard's output off the request path; must not raise for transient failures."""

    def write(self, closed: ClosedWindow) -> None:
        """Store one closed window with its signals, feedback, served rows and reviews."""

    def close(self) -> None:
        """Release resources."""


@dataclass
class MemorySink:
    """Keeps everything in memory: for tests, notebooks and benchmarks."""

    windows: list[WindowProfile] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    served: list[tuple[str, Any, str]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def write(self, closed: ClosedWindow) -> None:
        """Append to the in-memory lists."""
        with self._lock:
            self.windows.append(closed.window)
            self.signals.extend(closed.signals)
            self.feedback.extend(closed.feedback)
            self.served.extend(closed.served)
            self.reviews.extend(closed.reviews)

    def close(self) -> None:
        """Nothing to release."""
