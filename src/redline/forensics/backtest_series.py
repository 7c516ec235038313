"""The stored window-statistic series of one column, recomputed against the model's reference."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.monitors.columns import DEFAULT_FLOORS, judge_columns
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.store import Session, WindowRow, get_latest_reference, list_windows

__all__ = ["SeriesPoint", "read_series"]

#: Most windows read for one series: enough for months of 60-second windows to be sampled.
MAX_WINDOWS = 5_000


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One window's primary statistic of a column and the threshold it was judged against."""

    window_id: str
    start: datetime
    end: datetime
    n_rows: int
    value: float | None  # None: too few rows, or the column was missing
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "window_id": self.window_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "n_rows": self.n_rows,
            "value": self.value,
            "threshold": self.threshold,
        }


def _point(reference: Reference, ref_hash: str, row: WindowRow, column: str) -> SeriesPoint | None:
    if row.payload.get("reference_hash") not in (None, ref_hash):
        return None  # judged against another reference: not the same statistic
    try:
        window = WindowProfile.from_dict(row.payload)
    except (KeyError, TypeError, ValueError):
        return None
    if column not in window.columns:
        return None
    (verdict,) = judge_columns(reference, window, [column], floors=DEFAULT_FLOORS)
    usable = verdict.tested and math.isfinite(verdict.value)
    return SeriesPoint(
        window_id=row.id,
        start=row.start,
        end=row.end,
        n_rows=row.n_rows,
        value=float(verdict.value) if usable else None,
        threshold=float(verdict.threshold),
    )


def read_series(
    session: Session, *, model: str, column: str, limit: int = MAX_WINDOWS
) -> Sequence[SeriesPoint]:
    """Every stored window of ``model`` (oldest first) with ``column``'s primary statistic."""
    stored = get_latest_reference(session, model=model)
    if stored is None:
        return []
    reference = Reference.from_dict(stored.payload)
    if column not in reference.columns:
        return []
    points = (
        _point(reference, stored.content_hash, row, column)
        for row in list_windows(session, model=model, limit=limit)
    )
    return [p for p in points if p is not None]
