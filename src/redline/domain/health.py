"""Whether a model is healthy, and every reason it is not: one rule for every place that says so.

A model is unhealthy while its route departs from the primary (degraded), while an incident
on it is open, or while its Guard has gone silent: no window for ``SILENT_AFTER_WINDOWS``
window lengths (at least ``SILENT_FLOOR_S``). Guards send no empty windows, so silence means
no traffic or no Guard; either deserves a look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "SILENT_AFTER_WINDOWS",
    "SILENT_FLOOR_S",
    "ModelHealth",
    "model_health",
    "silent_after_s",
]

#: Window lengths without a window after which a model counts as silent.
SILENT_AFTER_WINDOWS = 3
#: Never silent sooner than this: a window closed early by a flush is shorter than its length.
SILENT_FLOOR_S = 300.0


@dataclass(frozen=True, slots=True)
class ModelHealth:
    """A model's health at ``checked_at``: ``reasons`` empty means healthy."""

    reasons: tuple[str, ...]
    silent_s: float | None = None

    @property
    def healthy(self) -> bool:
        """No reason to look."""
        return not self.reasons


def silent_after_s(window_start: datetime, window_end: datetime) -> float:
    """How long without a window, after one spanning ``window_start``–``window_end``, is silence.

    >>> from datetime import UTC
    >>> silent_after_s(datetime(2026, 1, 1, 0, 0, tzinfo=UTC), datetime(2026, 1, 1, 0, 10, tzinfo=UTC))
    1800.0
    """
    length_s = max((window_end - window_start).total_seconds(), 0.0)
    return max(SILENT_AFTER_WINDOWS * length_s, SILENT_FLOOR_S)


def model_health(
    *,
    departures: tuple[str, ...],
    open_incidents: int,
    last_window: tuple[datetime, datetime] | None,
    now: datetime,
) -> ModelHealth:
    """The health of a model whose route departs by ``departures``, with ``open_incidents`` and
    its latest window's (start, end), checked at ``now``."""
    reasons: list[str] = []
    if departures:
        reasons.append(f"degraded: {', '.join(departures)}")
    if open_incidents:
        reasons.append(f"{open_incidents} open incident{'s' if open_incidents != 1 else ''}")
    silent_s = None
    if last_window is not None:
        start, end = last_window
        age_s = (now - end).total_seconds()
        if age_s > silent_after_s(start, end):
            silent_s = age_s
            reasons.append(f"silent: no window for {_duration(age_s)}")
    return ModelHealth(tuple(reasons), silent_s)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
