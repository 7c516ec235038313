"""Where a Guard sends closed windows, their signals, and feedback labels."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from redline.domain import Signal
from redline.profiles.window import WindowProfile

__all__ = ["Feedback", "MemorySink", "Sink"]


@dataclass(frozen=True, slots=True)
class Feedback:
    """A label for an earlier prediction, joined to it by request id."""

    request_id: str
    label: Any
    at: datetime


@runtime_checkable
class Sink(Protocol):
    """Receives a Guard's output off the request path; must not raise for transient failures."""

    def write(
        self, model: str, window: WindowProfile, signals: list[Signal], feedback: list[Feedback]
    ) -> None:
        """Store one closed window, the signals it raised, and feedback received meanwhile."""

    def close(self) -> None:
        """Release resources."""


@dataclass
class MemorySink:
    """Keeps everything in memory: for tests, notebooks and benchmarks."""

    windows: list[WindowProfile] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def write(
        self, model: str, window: WindowProfile, signals: list[Signal], feedback: list[Feedback]
    ) -> None:
        """Append to the in-memory lists."""
        with self._lock:
            self.windows.append(window)
            self.signals.extend(signals)
            self.feedback.extend(feedback)

    def close(self) -> None:
        """Nothing to release."""
