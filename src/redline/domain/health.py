"""Whether a model is healthy, and every reason it is not: one rule for every place that says so.

A model is unhealthy while its route departs from the primary (degraded), while an incident
on it is open, while its Guard has gone silent: no window for ``SILENT_AFTER_WINDOWS``
window lengths (at least ``SILENT_FLOOR_S``), or while its oldest pending review has waited
longer than its :class:`ReviewSla`. Guards send no empty windows, so silence means no traffic
or no Guard; either deserves a look.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "DEFAULT_REVIEW_SLA_S",
    "SILENT_AFTER_WINDOWS",
    "SILENT_FLOOR_S",
    "ModelHealth",
    "ReviewSla",
    "model_health",
    "silent_after_s",
]

#: Window lengths without a window after which a model counts as silent.
SILENT_AFTER_WINDOWS = 3
#: Never silent sooner than this: a window closed early by a flush is shorter than its length.
SILENT_FLOOR_S = 300.0
#: How long a held prediction may wait for a person unless a playbook says otherwise.
DEFAULT_REVIEW_SLA_S = 86_400.0


@dataclass(frozen=True)
class ReviewSla:
    """How long a pending review may wait: ``per_model`` limits, else ``default_s``.

    >>> ReviewSla(default_s=3600.0, per_model={"fraud": 600.0}).limit_s("fraud")
    600.0
    """

    default_s: float = DEFAULT_REVIEW_SLA_S
    per_model: Mapping[str, float] = field(default_factory=dict)

    def limit_s(self, model: str) -> float:
        """The longest ``model``'s oldest pending review may wait."""
        return float(self.per_model.get(model, self.default_s))


@dataclass(frozen=True, slots=True)
class ModelHealth:
    """A model's health at ``checked_at``: ``reasons`` empty means healthy."""

    reasons: tuple[str, ...]
    silent_s: float | None = None
    #: How long the oldest pending review has waited (None: no review pending).
    review_wait_s: float | None = None

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
    oldest_review: datetime | None = None,
    review_sla_s: float = DEFAULT_REVIEW_SLA_S,
) -> ModelHealth:
    """The health of a model whose route departs by ``departures``, with ``open_incidents``,
    its latest window's (start, end) and its oldest pending review's time, checked at ``now``."""
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
    wait_s = None if oldest_review is None else max((now - oldest_review).total_seconds(), 0.0)
    if wait_s is not None and wait_s > review_sla_s:
        reasons.append(
            f"review overdue: the oldest has waited {_duration(wait_s)} "
            f"(limit {_duration(review_sla_s)})"
        )
    return ModelHealth(tuple(reasons), silent_s, wait_s)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"
