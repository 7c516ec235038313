"""Columns a Guard records raw on the request path and turns into window columns later.

Generative models are judged on figures computed from what they answered (tokens, entropy,
repetition, scanner scores). Computing them on the request path would cost every caller; a
`DerivedColumns` lets the request path record the raw facts and the window thread derive the
columns the reference profiles, and raise per-window signals from what it saw.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from redline.domain import Signal
from redline.profiles.tabular import Columns
from redline.profiles.window import WindowProfile

__all__ = ["DerivedColumns"]


@runtime_checkable
class DerivedColumns(Protocol):
    """Raw fields recorded per request, the columns derived from them, and window signals."""

    @property
    def names(self) -> tuple[str, ...]:
        """The fields the request path records for each request (keys of the recorded row)."""
        ...

    def derive(self, columns: Columns) -> Columns:
        """The window columns of a chunk of recorded rows (called on the window thread only)."""
        ...

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """Signals about the rows derived since the last call, for the window closing now."""
        ...
