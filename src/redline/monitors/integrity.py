"""Data integrity: missing columns, type violations, null jumps, out-of-range, unseen categories,
and the signature of a category-mapping error."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, ColumnSpec, NumericSpec, Role
from redline.profiles.states import CategoricalState, NumericState
from redline.profiles.stats import js_distance, shares
from redline.profiles.window import WindowProfile

__all__ = ["IntegrityMonitor", "mapping_error_evidence"]


def mapping_error_evidence(
    spec: CategoricalSpec,
    state: CategoricalState,
    *,
    min_js: float = 0.1,
    max_sorted_js: float = 0.05,
) -> dict[str, Any] | None:
    """Evidence of a mapping error: the frequency profile is unchanged but labels swapped."""
    ref, cur = spec.counts[:-1], state.counts[:-1].astype(np.float64)
    if cur.sum() == 0 or ref.size < 2:
        return None
    labelled = float(js_distance(ref, cur))
    ordered = float(js_distance(np.sort(ref)[::-1], np.sort(cur)[::-1]))
    if labelled <= min_js or ordered >= max_sorted_js:
        return None
    p, q = shares(ref), shares(cur)
    moved = np.argsort(-np.abs(q - p))[:5]
    return {
        "js_by_label": labelled,
        "js_of_sorted_frequencies": ordered,
        "likely": "mapping error: the same frequencies sit on different labels",
        "labels": [
            {"label": spec.vocab[i], "reference": float(p[i]), "current": float(q[i])}
            for i in moved
        ],
    }


class IntegrityMonitor(Monitor):
    """Pipeline checks per column; each breach is a warning with the rows that show it."""

    name = "integrity"

    def __init__(
        self,
        reference: Reference,
        *,
        max_null_jump: float = 0.05,
        max_out_of_range: float = 0.05,
        max_unseen_jump: float = 0.05,
        max_invalid_share: float = 0.01,
        min_rows: int = 50,
    ) -> None:
        super().__init__(reference)
        self.max_null_jump = max_null_jump
        self.max_out_of_range = max_out_of_range
        self.max_unseen_jump = max_unseen_jump
        self.max_invalid_share = max_invalid_share
        self.min_rows = min_rows

    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        if window.n_rows < self.min_rows:
            return []
        out = [
            self._signal(
                window, name, "missing_column", "missing_share", count / window.n_rows, 0.0, {}
            )
            for name, count in window.missing.items()
            if count
        ]
        for spec in self.reference.columns.values():
            if spec.role != Role.FEATURE or window.missing.get(_source(spec)):
                continue
            out.extend(self._column(window, spec))
        return out

    def _column(self, window: WindowProfile, spec: ColumnSpec) -> list[Signal]:
        state = window.columns[spec.name]
        seen = window.n_rows
        null_share = (seen - state.n) / seen if seen else 0.0
        checks: list[tuple[str, str, float, float, dict[str, Any]]] = []
        noise = 3 * math.sqrt(max(spec.null_share * (1 - spec.null_share), 1e-6) / seen)
        if isinstance(state, NumericState) and isinstance(spec, NumericSpec):
            invalid = state.n_invalid / seen
            checks.append(("type_violation", "invalid_share", invalid, self.max_invalid_share, {}))
            null_share -= invalid
            if state.n:
                oor = float(state.counts[0] + state.counts[-1]) / state.n
                extra: dict[str, Any] = {
                    "reference_min": spec.min,
                    "reference_max": spec.max,
                    "min": state.min,
                    "max": state.max,
                }
                checks.append(
                    ("out_of_range", "out_of_range_share", oor, self.max_out_of_range, extra)
                )
        if isinstance(state, CategoricalState) and isinstance(spec, CategoricalSpec) and state.n:
            jump = float(state.counts[-1]) / state.n - float(shares(spec.counts)[-1])
            top = {"top_unseen": state.unseen.top(10)}
            checks.append(
                ("unseen_categories", "unseen_share_jump", jump, self.max_unseen_jump, top)
            )
            evidence = mapping_error_evidence(spec, state)
            if evidence is not None:
                checks.append(
                    ("mapping_error", "js_by_label", evidence["js_by_label"], 0.1, evidence)
                )
        jump = null_share - spec.null_share
        checks.append(
            (
                "null_jump",
                "null_share_jump",
                jump,
                self.max_null_jump + noise,
                {"null_share": null_share},
            )
        )
        return [
            self._signal(window, spec.name, kind, stat, value, limit, extra)
            for kind, stat, value, limit, extra in checks
            if value > limit
        ]

    def _signal(
        self,
        window: WindowProfile,
        column: str,
        kind: str,
        statistic: str,
        value: float,
        threshold: float,
        evidence: dict[str, Any],
    ) -> Signal:
        return Signal(
            monitor=self.name,
            kind=kind,
            column=column,
            statistic=statistic,
            value=value,
            threshold=threshold,
            level=Level.ALARM if kind == "mapping_error" else Level.WARNING,
            window_start=window.start,
            window_end=window.end,
            n_rows=window.n_rows,
            evidence=evidence,
        )


def _source(spec: ColumnSpec) -> str:
    return spec.source if isinstance(spec, NumericSpec) and spec.source else spec.name
