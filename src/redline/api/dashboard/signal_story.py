"""An incident's signals as a story: one row per finding (kind, column, statistic), over time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.api.dashboard.charts import Series
from redline.domain.signal import Level
from redline.services.view_types import SignalView

__all__ = ["SignalGroup", "group_signals"]

#: Louder first.
_LOUDNESS = {Level.CRITICAL.value: 0, Level.ALARM.value: 1, Level.WARNING.value: 2}


def _when(signal: SignalView) -> datetime | None:
    return signal.window_end or signal.window_start


def _ratio(signal: SignalView) -> float:
    """How far past its threshold a signal went (its value when the threshold is 0)."""
    return signal.value / signal.threshold if signal.threshold > 0 else signal.value


@dataclass(frozen=True, slots=True)
class SignalGroup:
    """The signals one monitor raised on one column and statistic, oldest first."""

    signals: tuple[SignalView, ...]

    @property
    def latest(self) -> SignalView:
        """The newest signal of the group."""
        return self.signals[-1]

    @property
    def peak(self) -> SignalView:
        """The signal furthest past its threshold (the first of equals)."""
        return max(self.signals, key=_ratio)

    @property
    def loudest(self) -> str:
        """The loudest level the group reached."""
        return min((s.level for s in self.signals), key=lambda lv: _LOUDNESS.get(lv, 3))

    @property
    def first_seen(self) -> datetime | None:
        """When the first window with this finding ended."""
        return _when(self.signals[0])

    @property
    def last_seen(self) -> datetime | None:
        """When the newest window with this finding ended."""
        return _when(self.latest)

    @property
    def top_moves(self) -> list[Any]:
        """The bins that moved most at the peak."""
        return self.peak.top_moves

    @property
    def series(self) -> Series:
        """Its value per signal, oldest first, against the newest threshold."""
        latest = self.latest
        return Series(
            label=f"{latest.statistic} of {latest.column or latest.kind}",
            values=tuple(s.value for s in self.signals),
            threshold=latest.threshold,
            flagged=latest.level != Level.WARNING.value,
        )


def group_signals(signals: Iterable[SignalView]) -> list[SignalGroup]:
    """Signals grouped by (monitor, kind, column, statistic), loudest group first, then oldest."""
    groups: dict[tuple[str, str, str | None, str], list[SignalView]] = {}
    for signal in signals:
        key = (signal.monitor, signal.kind, signal.column, signal.statistic)
        groups.setdefault(key, []).append(signal)
    ordered = [
        SignalGroup(tuple(sorted(found, key=lambda s: (_when(s) is None, _when(s), s.id))))
        for found in groups.values()
    ]
    return sorted(
        ordered,
        key=lambda g: (_LOUDNESS.get(g.loudest, 3), g.first_seen is None, g.first_seen),
    )
