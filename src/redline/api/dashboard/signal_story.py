"""An incident's signals as a story: one row per finding (kind, column, statistic), over time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redline.api.dashboard.charts import Series
from redline.domain.signal import Level
from redline.services.view_types import SignalCount, SignalView

__all__ = ["SignalGroup", "group_signals"]

#: Louder first.
_LOUDNESS = {Level.CRITICAL.value: 0, Level.ALARM.value: 1, Level.WARNING.value: 2}


def _when(signal: SignalView) -> datetime | None:
    return signal.window_end or signal.window_start


def _ratio(signal: SignalView) -> float:
    """How far past its threshold a signal went (its value when the threshold is 0)."""
    return signal.value / signal.threshold if signal.threshold > 0 else signal.value


_Key = tuple[str, str, str | None, str]


@dataclass(frozen=True, slots=True)
class SignalGroup:
    """The signals one monitor raised on one column and statistic, oldest first.

    ``signals`` are the newest an incident view carries; ``counts`` count every one of the
    group's signals, so its size, span and loudest level hold however many were left out.
    """

    monitor: str
    kind: str
    column: str | None
    statistic: str
    signals: tuple[SignalView, ...]
    counts: tuple[SignalCount, ...] = field(default=())

    @property
    def count(self) -> int:
        """How many signals the group holds."""
        return sum(c.count for c in self.counts) if self.counts else len(self.signals)

    @property
    def shown_all(self) -> bool:
        """True when ``signals`` holds every signal of the group."""
        return self.count == len(self.signals)

    @property
    def latest(self) -> SignalView | None:
        """The newest signal of the group, unless it is older than those the view carries."""
        return self.signals[-1] if self.signals else None

    @property
    def peak(self) -> SignalView | None:
        """The signal furthest past its threshold (the first of equals) among those shown."""
        return max(self.signals, key=_ratio) if self.signals else None

    @property
    def loudest(self) -> str:
        """The loudest level the group reached."""
        levels = [c.level for c in self.counts] or [s.level for s in self.signals]
        return min(levels, key=lambda lv: _LOUDNESS.get(lv, 3))

    @property
    def first_seen(self) -> datetime | None:
        """When the first window with this finding ended."""
        seen = [c.first_seen for c in self.counts if c.first_seen is not None]
        return min(seen) if seen else _when(self.signals[0]) if self.signals else None

    @property
    def last_seen(self) -> datetime | None:
        """When the newest window with this finding ended."""
        seen = [c.last_seen for c in self.counts if c.last_seen is not None]
        return max(seen) if seen else _when(self.signals[-1]) if self.signals else None

    @property
    def top_moves(self) -> list[Any]:
        """The bins that moved most at the peak."""
        return self.peak.top_moves if self.peak is not None else []

    @property
    def series(self) -> Series | None:
        """Its value per signal shown, oldest first, against the newest threshold."""
        latest = self.latest
        if latest is None:
            return None
        return Series(
            label=f"{self.statistic} of {self.column or self.kind}",
            values=tuple(s.value for s in self.signals),
            threshold=latest.threshold,
            flagged=latest.level != Level.WARNING.value,
        )


def group_signals(
    signals: Iterable[SignalView], counts: Iterable[SignalCount] = ()
) -> list[SignalGroup]:
    """Signals grouped by (monitor, kind, column, statistic), loudest group first, then oldest;
    ``counts`` (every signal, counted) set each group's size, span and loudest level."""
    groups: dict[_Key, list[SignalView]] = {}
    for signal in signals:
        key = (signal.monitor, signal.kind, signal.column, signal.statistic)
        groups.setdefault(key, []).append(signal)
    tallies: dict[_Key, list[SignalCount]] = {}
    for count in counts:
        tallies.setdefault((count.monitor, count.kind, count.column, count.statistic), []).append(
            count
        )
    ordered = [
        SignalGroup(
            *key,
            tuple(sorted(groups.get(key, ()), key=lambda s: (_when(s) is None, _when(s), s.id))),
            tuple(tallies.get(key, ())),
        )
        for key in groups | tallies
    ]
    return sorted(
        ordered,
        key=lambda g: (_LOUDNESS.get(g.loudest, 3), g.first_seen is None, g.first_seen),
    )
