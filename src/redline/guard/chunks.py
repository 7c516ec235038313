"""Chunks of served rows waiting to be folded, and how several become one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from redline.guard.buffer import RowBuffer
from redline.profiles.arrow import arrow_module
from redline.profiles.tabular import Columns

__all__ = ["Chunk", "as_array", "coalesce"]


@dataclass
class Chunk:
    """Rows served together: their columns, outputs, latencies, sources and routes."""

    columns: Columns
    predictions: Any
    latency_ms: np.ndarray[Any, np.dtype[np.float64]]
    sources: list[str | None] | None
    n: int
    routes: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    unknown: dict[str, int] = field(default_factory=dict)
    served: list[tuple[str, Any, str]] = field(default_factory=list)

    @classmethod
    def of_buffer(cls, buffer: RowBuffer) -> Chunk:
        """The filled part of a request-path buffer."""
        n = buffer.n
        routes = Counter(buffer.routes[:n])
        return cls(
            columns=buffer.to_columns(),
            predictions=buffer.predictions[:n],
            latency_ms=buffer.latencies(),
            sources=buffer.sources[:n],
            n=n,
            routes=routes,
            errors=routes.get("error", 0),
            unknown=dict(buffer.unknown),
            served=list(
                zip(buffer.request_ids[:n], buffer.served[:n], buffer.routes[:n], strict=True)
            ),
        )


def _concat(parts: list[Any]) -> Any:
    if all(isinstance(p, np.ndarray) for p in parts):
        return np.concatenate(parts)
    pa = arrow_module()
    if (
        pa is not None
        and all(isinstance(p, pa.Array) for p in parts)
        and len({p.type for p in parts}) == 1
    ):
        return pa.concat_arrays(parts)
    return np.concatenate([np.asarray(p, dtype=object) for p in parts])


def as_array(values: Any) -> Any:
    if isinstance(values, np.ndarray):
        return values
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError):
        return np.asarray(values, dtype=object)
    return arr.astype(object) if arr.dtype.kind in "US" else arr


def coalesce(chunks: list[Chunk]) -> list[Chunk]:
    """Join chunks with the same columns into one, so a fold's fixed cost is paid once."""
    groups: dict[tuple[str, ...], list[Chunk]] = {}
    for chunk in chunks:
        groups.setdefault(tuple(chunk.columns), []).append(chunk)
    out = []
    for names, group in groups.items():
        if len(group) == 1:
            out.append(group[0])
            continue
        sources = None
        if any(c.sources is not None for c in group):
            sources = [s for c in group for s in (c.sources or [None] * c.n)]
        unknown: Counter[str] = Counter()
        routes: Counter[str] = Counter()
        for c in group:
            unknown.update(c.unknown)
            routes.update(c.routes)
        out.append(
            Chunk(
                columns={name: _concat([c.columns[name] for c in group]) for name in names},
                predictions=_concat([as_array(c.predictions) for c in group]),
                latency_ms=np.concatenate([c.latency_ms for c in group]),
                sources=sources,
                n=sum(c.n for c in group),
                routes=routes,
                errors=sum(c.errors for c in group),
                unknown=dict(unknown),
                served=[item for c in group for item in c.served],
            )
        )
    return out
