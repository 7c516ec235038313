"""The monitors' per-column results of one window, as stored with it and read back."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redline.domain import Level
from redline.services.view_types import View

__all__ = ["NOT_TESTED", "OK", "RESULTS_VERSION", "ColumnResult", "WindowResults"]

#: The document's format; a reader skips documents of another version.
RESULTS_VERSION = 1
#: Levels of a column that raised no signal: tested and clean, or too few rows to test.
OK = "ok"
NOT_TESTED = "not tested"
_FLAGGED = frozenset(level.value for level in Level)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class ColumnResult(View):
    """One column of one window: the monitor's statistic, its threshold and the level decided."""

    column: str
    monitor: str
    statistic: str
    value: float | None
    threshold: float | None
    level: str
    n_rows: int

    computed = ("flagged",)

    @property
    def flagged(self) -> bool:
        """True when the monitor raised a signal on this column (warning, alarm or critical)."""
        return self.level in _FLAGGED

    @property
    def ratio(self) -> float:
        """Value over threshold, capped at 2 (0 when either is unknown)."""
        if self.value is None or not self.threshold:
            return 0.0
        return max(0.0, min(self.value / self.threshold, 2.0))

    def to_document(self) -> dict[str, Any]:
        """The JSON stored for this column (non-finite numbers as null)."""
        return {
            "column": self.column,
            "monitor": self.monitor,
            "statistic": self.statistic,
            "value": _number(self.value),
            "threshold": _number(self.threshold),
            "level": self.level,
            "n_rows": self.n_rows,
        }

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> ColumnResult:
        """Read back what :meth:`to_document` stored."""
        return cls(
            column=str(data["column"]),
            monitor=str(data["monitor"]),
            statistic=str(data["statistic"]),
            value=_number(data.get("value")),
            threshold=_number(data.get("threshold")),
            level=str(data["level"]),
            n_rows=int(data.get("n_rows") or 0),
        )


@dataclass(frozen=True, slots=True)
class WindowResults(View):
    """Every drift-watched column of one window, in the reference's column order."""

    reference_hash: str | None
    columns: tuple[ColumnResult, ...]

    def column(self, name: str) -> ColumnResult | None:
        """The result of column ``name``, or None when the window has none for it."""
        return next((c for c in self.columns if c.column == name), None)

    def to_document(self) -> dict[str, Any]:
        """The compact JSON document stored in the window's row."""
        return {
            "version": RESULTS_VERSION,
            "reference_hash": self.reference_hash,
            "columns": [c.to_document() for c in self.columns],
        }

    @classmethod
    def from_document(cls, data: Mapping[str, Any] | None) -> WindowResults | None:
        """Read a stored document back; None when there is none or it is of another version."""
        if not data or data.get("version") != RESULTS_VERSION:
            return None
        columns = tuple(ColumnResult.from_document(c) for c in data.get("columns") or ())
        reference_hash = data.get("reference_hash")
        return cls(None if reference_hash is None else str(reference_hash), columns)
