"""Deduplication, grouping and snoozes for signals: pure rules, times passed in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any

from redline.domain.kinds import related
from redline.domain.signal import Signal

__all__ = [
    "DEFAULT_GROUP_WINDOW_S",
    "Snooze",
    "active_snooze",
    "dedup_key",
    "is_snoozed",
    "joins",
    "should_group",
    "signal_time",
    "split_unrelated",
]

#: A signal joins an open incident of the same model if it comes within 30 minutes of the last.
DEFAULT_GROUP_WINDOW_S = 30 * 60.0


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {value.isoformat()}")


def dedup_key(signal: Signal) -> str:
    """The key that makes repeats of one finding the same alert: the signal's fingerprint."""
    return signal.fingerprint


def signal_time(signal: Signal) -> datetime | None:
    """When a signal happened: the end of its window, else the start, else unknown."""
    return signal.window_end or signal.window_start


def should_group(
    open_incident_model: str | None,
    open_incident_last_signal_at: datetime,
    signal: Signal,
    window_s: float = DEFAULT_GROUP_WINDOW_S,
    *,
    at: datetime | None = None,
) -> bool:
    """True when the signal is about the incident's model and within ``window_s`` of its last."""
    if window_s <= 0:
        raise ValueError("window_s must be positive")
    when = at or signal_time(signal)
    if when is None:
        raise ValueError(f"signal {signal.fingerprint} has no window time; pass at=")
    _require_aware(when, "the signal time")
    _require_aware(open_incident_last_signal_at, "open_incident_last_signal_at")
    if signal.model != open_incident_model:
        return False
    return abs(when - open_incident_last_signal_at) <= timedelta(seconds=window_s)


def joins(incident_kinds: Iterable[str], kinds: Iterable[str]) -> bool:
    """True when some new kind is related to some kind already in the incident."""
    held = set(incident_kinds)
    return any(related(old, new) for new in set(kinds) for old in held)


def split_unrelated(kinds: Sequence[str]) -> list[list[int]]:
    """Positions of ``kinds`` in groups linked through ``related``, in first-seen order."""
    group_of = list(range(len(kinds)))
    for i, kind in enumerate(kinds):
        for j in range(i):
            if group_of[j] != group_of[i] and related(kinds[j], kind):
                old, new = group_of[i], group_of[j]
                group_of = [new if g == old else g for g in group_of]
    order = list(dict.fromkeys(group_of))
    return [[i for i, g in enumerate(group_of) if g == k] for k in order]


@dataclass(frozen=True, slots=True)
class Snooze:
    """Silence signals whose fingerprint matches a glob until a set time, for a stated reason."""

    fingerprint_pattern: str
    until: datetime
    reason: str

    def __post_init__(self) -> None:
        if not self.fingerprint_pattern.strip():
            raise ValueError("a snooze needs a fingerprint pattern (use '*' deliberately)")
        if not self.reason.strip():
            raise ValueError("a snooze needs a reason: say why these signals can wait")
        _require_aware(self.until, "until")

    def covers(self, signal: Signal) -> bool:
        """True when the pattern matches the signal's fingerprint (ignoring expiry)."""
        return fnmatchcase(dedup_key(signal), self.fingerprint_pattern)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "fingerprint_pattern": self.fingerprint_pattern,
            "until": self.until.isoformat(),
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snooze:
        """Inverse of :meth:`to_dict`."""
        return cls(
            fingerprint_pattern=str(data["fingerprint_pattern"]),
            until=datetime.fromisoformat(data["until"]),
            reason=str(data["reason"]),
        )


def active_snooze(signal: Signal, snoozes: Iterable[Snooze], now: datetime) -> Snooze | None:
    """The first snooze that covers the signal and has not expired at ``now``, if any."""
    _require_aware(now, "now")
    return next((s for s in snoozes if s.until > now and s.covers(signal)), None)


def is_snoozed(signal: Signal, snoozes: Iterable[Snooze], now: datetime) -> bool:
    """True when an unexpired snooze covers the signal."""
    return active_snooze(signal, snoozes, now) is not None
