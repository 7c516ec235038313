"""WindowProfile: the mergeable summary of the rows of one time window."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from redline.profiles.encoding import text_descriptor
from redline.profiles.flags import flag_mask, tracks_unseen
from redline.profiles.reference import Reference
from redline.profiles.sketches import BottomK, HeavyHitters, LogHistogram
from redline.profiles.specs import CategoricalSpec, ColumnSpec, NumericSpec, Role
from redline.profiles.states import CategoricalState, ColumnState, NumericState, state_from_dict
from redline.profiles.tabular import Columns, TableLike, n_rows_of, to_columns, values_at
from redline.profiles.text_sketch import TextState

__all__ = ["GUARD_FIGURES", "WindowProfile", "guard_figures", "merge_shadow"]


def _empty_state(spec: NumericSpec | CategoricalSpec) -> ColumnState:
    if isinstance(spec, NumericSpec):
        return NumericState.empty(spec)
    return CategoricalState.empty(spec)


@dataclass
class WindowProfile:
    """Counts, moments and sketches of a window's rows, on a reference's bins.

    ``merge`` adds two profiles exactly (heavy hitters within their stated error), so windows
    from several replicas or several flushes add up to the profile of all their rows.
    """

    reference_hash: str
    columns: dict[str, ColumnState]
    n_rows: int = 0
    start: datetime | None = None
    end: datetime | None = None
    window_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    missing: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, int] = field(default_factory=dict)
    latency_ms: LogHistogram = field(default_factory=LogHistogram)
    sources: HeavyHitters = field(default_factory=lambda: HeavyHitters(capacity=64))
    routes: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    sample: BottomK = field(default_factory=BottomK)
    flagged: BottomK = field(default_factory=lambda: BottomK(capacity=32))
    route_revision: int = 0
    shadow: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The Guard's control path as it closed the window, in seconds (``route_age_s``: since
    #: its route source last answered; ``window_thread_busy_s``: its window thread's longest
    #: close and hand-over since the previous window, that one's included).
    guard: dict[str, float] = field(default_factory=dict)
    #: Token sketches of the reference's text columns, by name (``<column>.tokens``).
    texts: dict[str, TextState] = field(default_factory=dict)

    @classmethod
    def empty(cls, reference: Reference, **meta: Any) -> WindowProfile:
        """A profile with no rows on ``reference``'s bins."""
        states = {name: _empty_state(spec) for name, spec in reference.columns.items()}
        texts = {name: TextState.empty(spec) for name, spec in reference.texts.items()}
        return cls(reference.content_hash, states, texts=texts, **meta)

    @classmethod
    def of(cls, reference: Reference, data: TableLike, **meta: Any) -> WindowProfile:
        """Profile ``data`` (anything :func:`redline.profiles.tabular.to_columns` reads)."""
        return cls.empty(reference, **meta).fold(reference, to_columns(data))

    def fold(
        self,
        reference: Reference,
        columns: Columns,
        *,
        latency_ms: Any = None,
        sources: Sequence[str | None] | None = None,
        sample_seed: int | None = None,
    ) -> WindowProfile:
        """Add a batch of rows given as columns (in place); returns ``self``."""
        n = n_rows_of(columns)
        if n == 0:
            return self
        flags: dict[str, Any] = {}
        for name, spec in reference.columns.items():
            source = spec.source if isinstance(spec, NumericSpec) and spec.source else name
            if source not in columns:
                if spec.role != Role.TARGET:  # labels arrive later, never with the request
                    self.missing[source] = self.missing.get(source, 0) + n
                continue
            values = columns[source]
            if isinstance(spec, NumericSpec) and spec.descriptor:
                values = text_descriptor(values, spec.descriptor)
            state = self.columns[name]
            before = _surprises(spec, state)
            state.fold(spec, values)  # type: ignore[arg-type]
            if _surprises(spec, state) != before:
                flags[name] = np.flatnonzero(flag_mask(spec, values))
        for name, text in reference.texts.items():
            if text.source in columns:  # a missing one is counted by its descriptors above
                self.texts[name].fold(text, columns[text.source])
        known = set(reference.raw_columns)
        for name in columns:
            if name not in known:
                self.unknown[name] = self.unknown.get(name, 0) + n
        if latency_ms is not None:
            self.latency_ms.add(np.asarray(latency_ms, dtype=np.float64))
        if sources is not None:
            self.sources.add(s for s in sources if s is not None)
        rng = np.random.default_rng(sample_seed)
        self._sample(columns, n, rng)
        if flags:
            self._flag(columns, flags, rng)
        self.n_rows += n
        return self

    def _flag(self, columns: Columns, flags: dict[str, Any], rng: np.random.Generator) -> None:
        rows = np.unique(np.concatenate(list(flags.values())))
        priorities = rng.random(rows.size)
        keep = np.argsort(priorities, kind="stable")[: self.flagged.capacity]
        # Rows at or above the bar would sort after every kept row: only the rest are built.
        keep = keep[priorities[keep] < self.flagged.bar()]
        if keep.size == 0:
            return
        pick = rows[keep]
        picked = {name: values_at(values, pick) for name, values in columns.items()}
        out = []
        for j, i in enumerate(pick.tolist()):
            row = {name: _jsonable(v[j]) for name, v in picked.items()}
            row["_flags"] = [name for name, hits in flags.items() if _contains(hits, i)]
            out.append(row)
        self.flagged.offer(priorities[keep], out)

    def _sample(self, columns: Columns, n: int, rng: np.random.Generator) -> None:
        k = min(self.sample.capacity, n)
        if k == 0:
            return
        priorities = rng.random(n)
        pick = np.arange(n)
        if k < n:
            # The k smallest of n uniform priorities almost always lie below 4k/n: partition
            # only those, and all rows in the rare case that fewer than k do.
            below = np.flatnonzero(priorities < 4.0 * k / n)
            pick = below if below.size >= k else pick
            pick = pick[np.argpartition(priorities[pick], k - 1)[:k]]
        pick = pick[priorities[pick] < self.sample.bar()]
        if pick.size == 0:
            return
        picked = {name: values_at(values, pick) for name, values in columns.items()}
        rows = [{name: _jsonable(v[j]) for name, v in picked.items()} for j in range(pick.size)]
        self.sample.offer(priorities[pick], rows)

    def merge(self, other: WindowProfile) -> WindowProfile:
        """A new profile of both windows' rows (they must share a reference)."""
        if other.reference_hash != self.reference_hash:
            raise ValueError("cannot merge windows profiled on different references")
        starts = [t for t in (self.start, other.start) if t is not None]
        ends = [t for t in (self.end, other.end) if t is not None]
        return WindowProfile(
            reference_hash=self.reference_hash,
            columns={k: v.merge(other.columns[k]) for k, v in self.columns.items()},  # type: ignore[arg-type]
            n_rows=self.n_rows + other.n_rows,
            start=min(starts) if starts else None,
            end=max(ends) if ends else None,
            missing=_add(self.missing, other.missing),
            unknown=_add(self.unknown, other.unknown),
            latency_ms=self.latency_ms.merge(other.latency_ms),
            sources=self.sources.merge(other.sources),
            routes=_add(self.routes, other.routes),
            errors=self.errors + other.errors,
            sample=self.sample.merge(other.sample),
            flagged=self.flagged.merge(other.flagged),
            route_revision=max(self.route_revision, other.route_revision),
            shadow=merge_shadow(self.shadow, other.shadow),
            guard={
                k: max(side[k] for side in (self.guard, other.guard) if k in side)
                for k in sorted(self.guard.keys() | other.guard.keys())
            },
            texts={k: v.merge(other.texts[k]) for k, v in self.texts.items()},
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "reference_hash": self.reference_hash,
            "window_id": self.window_id,
            "n_rows": self.n_rows,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "columns": {k: v.to_dict() for k, v in self.columns.items()},
            "missing": self.missing,
            "unknown": self.unknown,
            "latency_ms": self.latency_ms.to_dict(),
            "sources": self.sources.to_dict(),
            "routes": self.routes,
            "errors": self.errors,
            "sample": self.sample.to_dict(),
            "flagged": self.flagged.to_dict(),
            "route_revision": self.route_revision,
            "shadow": self.shadow,
            "guard": self.guard,
            **({"texts": {k: v.to_dict() for k, v in self.texts.items()}} if self.texts else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WindowProfile:
        """Inverse of :meth:`to_dict`."""
        start, end = data.get("start"), data.get("end")
        return cls(
            reference_hash=str(data["reference_hash"]),
            columns={str(k): state_from_dict(v) for k, v in data["columns"].items()},
            n_rows=int(data["n_rows"]),
            start=datetime.fromisoformat(start) if start else None,
            end=datetime.fromisoformat(end) if end else None,
            window_id=str(data["window_id"]),
            missing={str(k): int(v) for k, v in data["missing"].items()},
            unknown={str(k): int(v) for k, v in data["unknown"].items()},
            latency_ms=LogHistogram.from_dict(data["latency_ms"]),
            sources=HeavyHitters.from_dict(data["sources"]),
            routes={str(k): int(v) for k, v in data["routes"].items()},
            errors=int(data["errors"]),
            sample=BottomK.from_dict(data["sample"]),
            flagged=BottomK.from_dict(data["flagged"]),
            route_revision=int(data.get("route_revision", 0)),
            shadow={str(k): dict(v) for k, v in (data.get("shadow") or {}).items()},
            guard=guard_figures(data),
            texts={str(k): TextState.from_dict(v) for k, v in (data.get("texts") or {}).items()},
        )


#: What a Guard reports of its control path with each window (see ``WindowProfile.guard``).
GUARD_FIGURES = ("route_age_s", "window_thread_busy_s")


def guard_figures(data: Mapping[str, Any]) -> dict[str, float]:
    """The Guard's figures a window's ``to_dict()`` carries (none from older Guards)."""
    found = data.get("guard") or {}
    return {k: float(found[k]) for k in GUARD_FIGURES if found.get(k) is not None}


_SHADOW_COUNTS = ("n", "agreed", "errors", "skipped", "numeric", "abs_diff_sum")


def merge_shadow(
    a: Mapping[str, dict[str, Any]], b: Mapping[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Shadow comparisons of two windows, per suspect version: counts add, latencies merge."""
    out = {version: dict(stats) for version, stats in a.items()}
    for version, stats in b.items():
        if version not in out:
            out[version] = dict(stats)
            continue
        mine = out[version]
        for key in _SHADOW_COUNTS:
            mine[key] = mine.get(key, 0) + stats.get(key, 0)
        latency = LogHistogram.from_dict(mine["latency_ms"]).merge(
            LogHistogram.from_dict(stats["latency_ms"])
        )
        mine["latency_ms"] = latency.to_dict()
        mine["agreement"] = mine["agreed"] / mine["n"] if mine["n"] else None
        mine["mean_abs_diff"] = mine["abs_diff_sum"] / mine["numeric"] if mine["numeric"] else None
        mine["latency_p50_ms"] = latency.quantile(0.5) if latency.n else None
        mine["latency_p95_ms"] = latency.quantile(0.95) if latency.n else None
        mine["disagreements"] = (mine.get("disagreements", []) + stats.get("disagreements", []))[
            :20
        ]
    return out


def _contains(sorted_values: Any, value: int) -> bool:
    pos = int(np.searchsorted(sorted_values, value))
    return pos < len(sorted_values) and int(sorted_values[pos]) == value


def _surprises(spec: ColumnSpec, state: ColumnState) -> tuple[int, ...]:
    """Counters that grow only when a row breaks the reference's expectations."""
    if isinstance(state, NumericState):
        return (int(state.counts[0] + state.counts[-1]), state.n_nonfinite, state.n_invalid)
    if isinstance(spec, CategoricalSpec) and tracks_unseen(spec):
        return (state.unseen.total,)
    return ()


def _add(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "as_py"):  # a pyarrow scalar (duck-typed: no pyarrow import here)
        return _jsonable(value.as_py())
    return str(value)
