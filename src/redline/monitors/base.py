"""The monitor protocol: ``update(window) -> self``, a read-only verdict, ``clone``/``reset``."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

from redline.domain import Level, Signal
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

__all__ = ["Monitor", "window_signal"]


def window_signal(
    model: str,
    window: WindowProfile,
    *,
    monitor: str,
    kind: str,
    column: str | None,
    statistic: str,
    value: float,
    threshold: float,
    level: Level,
    evidence: dict[str, Any],
) -> Signal:
    """A signal about ``window``, the window closing now (its span and row count)."""
    return Signal(
        monitor=monitor,
        kind=kind,
        column=column,
        statistic=statistic,
        value=float(value),
        threshold=float(threshold),
        level=level,
        window_start=window.start,
        window_end=window.end,
        n_rows=window.n_rows,
        model=model,
        evidence=evidence,
    )


class Monitor(ABC):
    """A detector evaluated once per closed window against a reference.

    Settings are exactly the constructor's keyword arguments (``params()`` returns them), so a
    monitor is rebuilt from configuration; the state it keeps between windows (persistence
    counters, baselines) is dropped by ``reset``.
    """

    name: ClassVar[str]

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self._signals: tuple[Signal, ...] = ()

    @abstractmethod
    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        """Signals for one window; may update state kept between windows."""

    def _clear(self) -> None:
        """Forget state kept between windows (override when there is some)."""

    def update(self, window: WindowProfile) -> Self:
        """Evaluate the next closed window."""
        self._signals = tuple(self._evaluate(window))
        return self

    @property
    def signals(self) -> tuple[Signal, ...]:
        """What the last evaluated window raised."""
        return self._signals

    def params(self) -> dict[str, Any]:
        """The constructor's keyword arguments as currently set."""
        names = list(inspect.signature(type(self).__init__).parameters)[2:]
        return {name: getattr(self, name) for name in names}

    def clone(self) -> Self:
        """A fresh monitor with the same settings and reference."""
        return type(self)(self.reference, **self.params())

    def reset(self) -> Self:
        """Forget every window seen so far."""
        self._signals = ()
        self._clear()
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"
