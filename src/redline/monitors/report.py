"""The batch entry point: ``check(reference, current) -> DriftReport``."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from redline.domain import Signal
from redline.monitors.columns import (
    DEFAULT_FLOORS,
    MIN_ROWS,
    ColumnVerdict,
    judge_columns,
    judge_text,
)
from redline.monitors.gate import GateFinding, gate_findings
from redline.monitors.integrity import IntegrityMonitor
from redline.profiles.drift import kl_note
from redline.profiles.fit import fit_reference
from redline.profiles.reference import Reference, load_reference
from redline.profiles.specs import NumericSpec, Role
from redline.profiles.states import NumericState
from redline.profiles.tabular import TableLike, n_rows_of, to_columns
from redline.profiles.window import WindowProfile

__all__ = ["DriftReport", "check"]

_REFERENCE_SUFFIXES = {".json", ".redline"}


@dataclass(frozen=True)
class DriftReport:
    """Per-column verdicts of one window against a reference, plus integrity findings."""

    columns: list[ColumnVerdict]
    n_rows: int
    reference_hash: str
    integrity: list[Signal] = field(default_factory=list)
    histograms: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    gate: list[GateFinding] = field(default_factory=list)
    strict: bool = False

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the columns whose primary statistic is over its threshold."""
        return [c.name for c in self.columns if c.drifted]

    @property
    def drifted(self) -> bool:
        """Whether any column drifted."""
        return any(c.drifted for c in self.columns)

    @property
    def failures(self) -> list[GateFinding]:
        """The integrity findings that fail the data gate (``redline check`` exits 3)."""
        return [f for f in self.gate if f.fails]

    @property
    def integrity_failed(self) -> bool:
        """Whether the data is broken: zero rows, a missing column, or an integrity breach."""
        return bool(self.failures)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: a ``columns`` list and the ``drifted_columns`` names."""
        out: dict[str, Any] = _clean(
            {
                "n_rows": self.n_rows,
                "reference_hash": self.reference_hash,
                "drifted_columns": self.drifted_columns,
                "columns": [_column_dict(c, self.histograms.get(c.name)) for c in self.columns],
                "integrity": [s.to_dict() for s in self.integrity],
                "notes": [kl_note(), *self.notes],
                "gate": {
                    "failed": self.integrity_failed,
                    "strict": self.strict,
                    "findings": [f.to_dict() for f in self.gate],
                },
            }
        )
        return out


def _column_dict(v: ColumnVerdict, histogram: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": v.name,
        "kind": v.kind,
        "role": v.role,
        "statistic": v.statistic,
        "value": v.value,
        "threshold": v.threshold,
        "drifted": v.drifted,
        "tested": v.tested,
        "calibrated_threshold": v.calibrated,
        "floor": v.floor,
        "n_rows": v.n_rows,
        "statistics": v.statistics,
        "top_moves": v.top_moves,
        "note": v.note,
    }
    if histogram is not None:
        out["histogram"] = histogram
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _as_reference(reference: Reference | TableLike, n_rows: int) -> Reference:
    if isinstance(reference, Reference):
        return reference
    if isinstance(reference, str | os.PathLike) and Path(reference).suffix in _REFERENCE_SUFFIXES:
        return load_reference(reference)
    sizes = sorted({100, 1_000, 10_000, max(n_rows, 1)})
    return fit_reference(reference, window_sizes=sizes)


def _histogram(reference: Reference, window: WindowProfile, name: str) -> dict[str, Any]:
    spec, state = reference.columns[name], window.columns[name]
    ref = spec.counts / max(spec.counts.sum(), 1.0)
    cur = state.counts / max(state.counts.sum(), 1)
    if isinstance(spec, NumericSpec) and isinstance(state, NumericState):
        edges = spec.full_edges(
            state.min if state.n else spec.min, state.max if state.n else spec.max
        )
        return {
            "type": "numeric",
            "edges": edges.tolist(),
            "reference": ref.tolist(),
            "current": cur.tolist(),
        }
    labels = [*getattr(spec, "vocab", ()), "(other)"]
    return {
        "type": "categorical",
        "labels": labels,
        "reference": ref.tolist(),
        "current": np.asarray(cur).tolist(),
    }


def check(
    reference: Reference | TableLike,
    current: TableLike,
    *,
    floors: dict[str, float] | None = None,
    min_rows: int = MIN_ROWS,
    strict: bool = False,
) -> DriftReport:
    """Compare ``current`` with a reference (a Reference, a saved reference file, or raw data).

    ``strict`` makes a column the reference does not know fail the data gate, not only warn.

    >>> rng = np.random.default_rng(0)
    >>> ref = {"x": rng.normal(size=5000), "y": rng.normal(size=5000)}
    >>> cur = {"x": rng.normal(1.0, 1.0, 2000), "y": rng.normal(size=2000)}
    >>> check(ref, cur).drifted_columns
    ['x']
    """
    columns = to_columns(current)
    ref = _as_reference(reference, n_rows_of(columns))
    window = WindowProfile.empty(ref).fold(ref, columns, sample_seed=0)
    watched = [
        s.name for s in ref.columns.values() if s.role != Role.TARGET and s.name in window.columns
    ]
    present = [n for n in watched if _source_present(ref, n, window)]
    verdicts = judge_columns(
        ref,
        window,
        present,
        floors=floors if floors is not None else DEFAULT_FLOORS,
        min_rows=min_rows,
    )
    verdicts += _text_verdicts(ref, window, floors=floors, min_rows=min_rows)
    integrity = list(IntegrityMonitor(ref, min_rows=1).update(window).signals)
    histograms = {
        v.name: _histogram(ref, window, v.name)
        for v in verdicts
        if v.drifted and v.name in ref.columns
    }
    notes = _notes(ref, window)
    gate = gate_findings(integrity, window, strict=strict, unprofiled=ref.ignored)
    return DriftReport(
        verdicts, window.n_rows, ref.content_hash, integrity, histograms, notes, gate, strict
    )


def _text_verdicts(
    ref: Reference, window: WindowProfile, *, floors: dict[str, float] | None, min_rows: int
) -> list[ColumnVerdict]:
    """Verdicts on the token sketches of the text columns the window holds."""
    return [
        judge_text(
            spec,
            window.texts[name],
            window_sizes=ref.window_sizes,
            floors=floors if floors is not None else DEFAULT_FLOORS,
            min_rows=min_rows,
        )
        for name, spec in ref.texts.items()
        if spec.source not in window.missing
    ]


def _notes(ref: Reference, window: WindowProfile) -> list[str]:
    notes = []
    if ref.n_rows < 10 * window.n_rows:
        notes.append(
            f"the reference has {ref.n_rows:,} rows, fewer than 10x the window's "
            f"{window.n_rows:,}: its own sampling noise limits how small a shift can be seen"
        )
    if window.n_rows > max(ref.window_sizes):
        notes.append(
            f"thresholds were calibrated up to windows of {max(ref.window_sizes):,} rows; "
            "larger windows use that threshold, which is conservative"
        )
    notes.extend(
        f"column {name!r} is not in the reference ({count:,} rows)"
        for name, count in window.unknown.items()
        if name not in ref.ignored
    )
    notes.extend(
        f"column {name!r} of the reference is missing ({count:,} rows)"
        for name, count in window.missing.items()
    )
    notes.extend(f"column {name!r} was not profiled: {why}" for name, why in ref.ignored.items())
    return notes


def _source_present(ref: Reference, name: str, window: WindowProfile) -> bool:
    spec = ref.columns[name]
    source = spec.source if isinstance(spec, NumericSpec) and spec.source else name
    return source not in window.missing
