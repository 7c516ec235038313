"""Distribution drift monitors: input features, predictions."""

from __future__ import annotations

from typing import Any

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.monitors.columns import DEFAULT_FLOORS, MIN_ROWS, ColumnVerdict, judge_columns
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, NumericSpec, Role
from redline.profiles.window import WindowProfile

__all__ = ["CategoricalDriftMonitor", "NumericDriftMonitor", "PredictionDriftMonitor"]


class _ColumnDriftMonitor(Monitor):
    """Shared logic: judge columns, count consecutive drifted windows per column."""

    kind = "drift"

    def __init__(
        self,
        reference: Reference,
        *,
        floor: float | None = None,
        persistence: int = 2,
        min_rows: int = MIN_ROWS,
        columns: list[str] | None = None,
    ) -> None:
        super().__init__(reference)
        if persistence < 1:
            raise ValueError("persistence must be at least 1 window")
        self.floor = floor
        self.persistence = persistence
        self.min_rows = min_rows
        self.columns = columns
        self._streak: dict[str, int] = {}

    def _selected(self) -> list[str]:
        raise NotImplementedError

    def _floors(self) -> dict[str, float]:
        if self.floor is None:
            return DEFAULT_FLOORS
        return dict.fromkeys(DEFAULT_FLOORS, self.floor)

    def verdicts(self, window: WindowProfile) -> list[ColumnVerdict]:
        """The verdict on every watched column (drifted or not)."""
        return judge_columns(
            self.reference, window, self._selected(), floors=self._floors(), min_rows=self.min_rows
        )

    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        out = []
        for v in self.verdicts(window):
            streak = self._streak[v.name] = self._streak.get(v.name, 0) + 1 if v.drifted else 0
            if not v.drifted:
                continue
            level = Level.ALARM if streak >= self.persistence else Level.WARNING
            evidence: dict[str, Any] = {**v.evidence(), "consecutive_windows": streak}
            out.append(_signal(self, v, level, window, evidence))
        return out

    def _clear(self) -> None:
        self._streak = {}


def _signal(
    monitor: Monitor,
    v: ColumnVerdict,
    level: Level,
    window: WindowProfile,
    evidence: dict[str, Any],
) -> Signal:
    return Signal(
        monitor=monitor.name,
        kind=getattr(monitor, "kind", "drift"),
        column=v.name,
        statistic=v.statistic,
        value=v.value,
        threshold=v.threshold,
        level=level,
        window_start=window.start,
        window_end=window.end,
        n_rows=v.n_rows,
        evidence=evidence,
    )


class NumericDriftMonitor(_ColumnDriftMonitor):
    """Normalized Wasserstein distance of each numeric feature (PSI, KL, JS, KS D reported)."""

    name = "numeric_drift"
    kind = "feature_drift"

    def _selected(self) -> list[str]:
        return [
            s.name
            for s in self.reference.features
            if isinstance(s, NumericSpec) and (self.columns is None or s.name in self.columns)
        ]


class CategoricalDriftMonitor(_ColumnDriftMonitor):
    """Jensen-Shannon distance of each categorical feature (PSI, KL, chi², L∞ reported)."""

    name = "categorical_drift"
    kind = "feature_drift"

    def _selected(self) -> list[str]:
        return [
            s.name
            for s in self.reference.features
            if isinstance(s, CategoricalSpec) and (self.columns is None or s.name in self.columns)
        ]


class PredictionDriftMonitor(_ColumnDriftMonitor):
    """Drift of the model's output: class shares (JS) or the score distribution (W-norm)."""

    name = "prediction_drift"
    kind = "prediction_drift"

    def _selected(self) -> list[str]:
        return [s.name for s in self.reference.role_columns(Role.PREDICTION)]
