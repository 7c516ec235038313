"""Signals: one finding of one monitor on one window, with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Level", "Signal"]


class Level(StrEnum):
    """How loud a signal is: one window over threshold, confirmed, or a hard operational breach."""

    WARNING = "warning"
    ALARM = "alarm"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True)
class Signal:
    """A monitor's finding, carrying everything needed to judge it later."""

    monitor: str
    kind: str
    column: str | None
    statistic: str
    value: float
    threshold: float
    level: Level
    window_start: datetime | None = None
    window_end: datetime | None = None
    n_rows: int = 0
    model: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Identity for deduplication: who raised it, about what."""
        return f"{self.model or '-'}|{self.monitor}|{self.kind}|{self.column or '-'}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "monitor": self.monitor,
            "kind": self.kind,
            "column": self.column,
            "statistic": self.statistic,
            "value": self.value,
            "threshold": self.threshold,
            "level": self.level.value,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "n_rows": self.n_rows,
            "model": self.model,
            "evidence": self.evidence,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signal:
        """Inverse of :meth:`to_dict`."""
        start, end = data.get("window_start"), data.get("window_end")
        return cls(
            monitor=data["monitor"],
            kind=data["kind"],
            column=data.get("column"),
            statistic=data["statistic"],
            value=float(data["value"]),
            threshold=float(data["threshold"]),
            level=Level(data["level"]),
            window_start=datetime.fromisoformat(start) if start else None,
            window_end=datetime.fromisoformat(end) if end else None,
            n_rows=int(data.get("n_rows", 0)),
            model=data.get("model"),
            evidence=dict(data.get("evidence") or {}),
        )
