"""Replay a stored window-statistic series under alternative thresholds and persistences.

The question a post-mortem asks: "threshold X would have fired N windows earlier, at the cost of
M false alarms per month". Both halves come from the same stored statistic: the incident's
windows for N, the model's quiet windows (outside any incident) for M.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_FACTORS",
    "DEFAULT_PERSISTENCES",
    "SECONDS_PER_MONTH",
    "BacktestRow",
    "backtest_thresholds",
    "count_alarms",
    "first_alarm",
]

#: Multiples of the calibrated threshold to replay (1.0 is the current one).
DEFAULT_FACTORS = (0.5, 0.75, 1.0, 1.25)
#: Consecutive windows over the threshold needed to alarm.
DEFAULT_PERSISTENCES = (1, 2)
SECONDS_PER_MONTH = 30 * 86_400


@dataclass(frozen=True, slots=True)
class BacktestRow:
    """One replayed setting: when it fires on the incident, and its false alarms when quiet."""

    factor: float
    threshold: float
    persistence: int
    fired_at: int | None  # index into the incident series
    windows_earlier: int | None  # > 0 earlier than the current setting, < 0 later
    false_alarms: int
    false_alarms_per_month: float | None
    current: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "factor": self.factor,
            "threshold": self.threshold,
            "persistence": self.persistence,
            "fired_at": self.fired_at,
            "windows_earlier": self.windows_earlier,
            "false_alarms": self.false_alarms,
            "false_alarms_per_month": self.false_alarms_per_month,
            "current": self.current,
        }


def first_alarm(values: Sequence[float | None], threshold: float, persistence: int) -> int | None:
    """Index of the window where ``persistence`` consecutive values over ``threshold`` complete.

    >>> first_alarm([0.1, 0.3, 0.4, 0.2], 0.25, 2)
    2
    """
    streak = 0
    for index, value in enumerate(values):
        streak = streak + 1 if value is not None and value > threshold else 0
        if streak >= persistence:
            return index
    return None


def count_alarms(values: Sequence[float | None], threshold: float, persistence: int) -> int:
    """Alarms raised along a series: one per run that reaches ``persistence`` windows.

    >>> count_alarms([0.3, 0.3, 0.1, 0.3, 0.3, 0.3], 0.25, 2)
    2
    """
    alarms = streak = 0
    for value in values:
        streak = streak + 1 if value is not None and value > threshold else 0
        if streak == persistence:
            alarms += 1
    return alarms


def backtest_thresholds(
    incident: Sequence[float | None],
    quiet: Sequence[float | None],
    *,
    threshold: float,
    persistence: int,
    window_s: float,
    factors: Sequence[float] = DEFAULT_FACTORS,
    persistences: Sequence[int] = DEFAULT_PERSISTENCES,
) -> list[BacktestRow]:
    """Replay every (factor, persistence) setting over the incident and the quiet series."""
    if threshold <= 0 or window_s <= 0:
        raise ValueError("the threshold and the window length must be positive")
    if any(p < 1 for p in (persistence, *persistences)):
        raise ValueError("persistence must be at least 1 window")
    baseline = first_alarm(incident, threshold, persistence)
    quiet_s = len(quiet) * window_s
    rows = []
    settings = sorted({(f, p) for f in (*factors, 1.0) for p in (*persistences, persistence)})
    for factor, p in settings:
        level = threshold * factor
        fired = first_alarm(incident, level, p)
        earlier = None if fired is None or baseline is None else baseline - fired
        alarms = count_alarms(quiet, level, p)
        rows.append(
            BacktestRow(
                factor=factor,
                threshold=level,
                persistence=p,
                fired_at=fired,
                windows_earlier=earlier,
                false_alarms=alarms,
                false_alarms_per_month=alarms * SECONDS_PER_MONTH / quiet_s if quiet_s else None,
                current=(factor, p) == (1.0, persistence),
            )
        )
    return rows
