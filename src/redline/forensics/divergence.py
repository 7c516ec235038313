"""Replay arithmetic: the rows a snapshot recorded, and how far rerun outputs stray from them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Divergence", "ReplayRow", "compare_outputs", "recorded_rows"]

MAX_EXAMPLES = 10


@dataclass(frozen=True)
class ReplayRow:
    """One recorded row: its model inputs, and what the model answered (None if not recorded)."""

    window_id: str
    kind: str
    inputs: dict[str, Any]
    recorded: Any


def recorded_rows(
    windows: Iterable[Mapping[str, Any]], *, prediction: str | None, exclude: Iterable[str] = ()
) -> list[ReplayRow]:
    """The reservoir-sample and flagged rows of stored window payloads, split into in and out.

    Rows keep every column the Guard saw; ``prediction`` names the column that holds the
    model's answer (recorded only for rows the primary served), ``exclude`` the other
    non-inputs (confidence, target).
    """
    skip = {"_flags", *(c for c in exclude if c), *([prediction] if prediction else [])}
    out = []
    for window in windows:
        wid = str(window.get("window_id"))
        for kind in ("sample", "flagged"):
            for _, row in (window.get(kind) or {}).get("items", []):
                inputs = {k: v for k, v in row.items() if k not in skip}
                recorded = row.get(prediction) if prediction else None
                out.append(ReplayRow(wid, kind, inputs, recorded))
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _same(a: Any, b: Any) -> tuple[bool, float | None]:
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        if math.isnan(x) and math.isnan(y):
            return True, 0.0
        return x == y, abs(x - y)
    return a == b or str(a) == str(b), None


@dataclass(frozen=True)
class Divergence:
    """How rerun outputs compare with the recorded ones."""

    rows: int
    compared: int
    diverged: int
    max_abs_diff: float | None
    examples: tuple[dict[str, Any], ...] = field(default=())

    @property
    def share(self) -> float:
        """The diverged share of the compared rows (0 when none could be compared)."""
        return self.diverged / self.compared if self.compared else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rows": self.rows,
            "compared": self.compared,
            "diverged": self.diverged,
            "share": self.share,
            "max_abs_diff": self.max_abs_diff,
            "examples": list(self.examples),
        }


def compare_outputs(rows: Sequence[ReplayRow], replayed: Sequence[Any]) -> Divergence:
    """Count rows whose rerun output differs from the recorded one, exactly (no tolerance)."""
    if len(rows) != len(replayed):
        raise ValueError(f"{len(replayed)} replayed outputs for {len(rows)} rows")
    compared = diverged = 0
    worst: float | None = None
    examples: list[dict[str, Any]] = []
    for row, new in zip(rows, replayed, strict=True):
        if row.recorded is None:
            continue
        compared += 1
        same, gap = _same(row.recorded, new)
        if gap is not None and not math.isnan(gap):
            worst = gap if worst is None else max(worst, gap)
        if not same:
            diverged += 1
            if len(examples) < MAX_EXAMPLES:
                examples.append(
                    {"window_id": row.window_id, "recorded": row.recorded, "replayed": new}
                )
    return Divergence(len(rows), compared, diverged, worst, tuple(examples))
