"""Preallocated columnar row buffers: the only thing the request path writes to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from redline.profiles.tabular import Columns

__all__ = ["RowBuffer"]


class RowBuffer:
    """Fixed-capacity columns of raw values, predictions, latencies, sources and routes."""

    __slots__ = (
        "_getter",
        "capacity",
        "columns",
        "latency_ms",
        "n",
        "names",
        "predictions",
        "request_ids",
        "routes",
        "served",
        "sources",
        "unknown",
    )

    def __init__(self, names: Sequence[str], capacity: int) -> None:
        self.names = tuple(names)
        self.capacity = capacity
        self._getter = itemgetter(*self.names) if len(self.names) > 1 else None
        self.columns: list[list[Any]] = [[None] * capacity for _ in self.names]
        self.predictions: list[Any] = [None] * capacity
        self.served: list[Any] = [None] * capacity
        self.request_ids: list[str] = [""] * capacity
        self.latency_ms: list[float] = [0.0] * capacity
        self.sources: list[str | None] = [None] * capacity
        self.routes: list[str] = [""] * capacity
        self.unknown: dict[str, int] = {}
        self.n = 0

    @property
    def full(self) -> bool:
        """No room for another row."""
        return self.n >= self.capacity

    def append(
        self,
        row: Mapping[str, Any],
        answer: Any,
        latency_ms: float,
        source: str | None,
        route: str,
        request_id: str,
        *,
        output: Any,
    ) -> None:
        """Copy one row's values into the next slot (caller holds the lock and checks ``full``)."""
        i = self.n
        values: Sequence[Any]
        try:
            values = self._getter(row) if self._getter is not None else (row[self.names[0]],)
        except (KeyError, TypeError):
            values = self._slow_values(row)
        else:
            if len(row) != len(self.names):
                self._count_unknown(row)
        for column, value in zip(self.columns, values, strict=True):
            column[i] = value
        # Only the primary's own answers describe the model (those held for review included,
        # so a threshold does not censor them); fallback, blocked or pending rows leave a gap.
        self.predictions[i] = output
        self.served[i] = answer
        self.request_ids[i] = request_id
        self.latency_ms[i] = latency_ms
        self.sources[i] = source
        self.routes[i] = route
        self.n = i + 1

    def _slow_values(self, row: Any) -> list[Any]:
        if not isinstance(row, Mapping):
            self.unknown["<not a mapping>"] = self.unknown.get("<not a mapping>", 0) + 1
            return [None] * len(self.names)
        self._count_unknown(row)
        return [row.get(name) for name in self.names]

    def _count_unknown(self, row: Mapping[str, Any]) -> None:
        for key in row:
            if key not in self.names:
                self.unknown[str(key)] = self.unknown.get(str(key), 0) + 1

    def to_columns(self) -> Columns:
        """The filled part as columns of numpy arrays (object dtype where values are mixed)."""
        n = self.n
        out: Columns = {}
        for name, column in zip(self.names, self.columns, strict=True):
            out[name] = _array(column[:n])
        return out

    def latencies(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Latencies of the filled rows."""
        return np.asarray(self.latency_ms[: self.n], dtype=np.float64)


def _array(values: list[Any]) -> Any:
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError):
        return np.asarray(values, dtype=object)
    if arr.dtype.kind in "US":
        return np.asarray(values, dtype=object)
    return arr
