"""Distribution drift monitors: input features, predictions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.monitors.columns import (
    DEFAULT_FLOORS,
    MIN_ROWS,
    ColumnVerdict,
    judge_column,
)
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, NumericSpec, Role
from redline.profiles.states import CategoricalState, ColumnState, NumericState
from redline.profiles.text_sketch import TextState
from redline.profiles.window import WindowProfile

__all__ = ["CategoricalDriftMonitor", "NumericDriftMonitor", "PredictionDriftMonitor"]

PooledState = ColumnState | TextState


@dataclass(frozen=True)
class _Pooled:
    """A column's rows from consecutive windows too small to test on their own."""

    state: PooledState
    start: datetime | None
    windows: int


def _merge(a: PooledState, b: PooledState) -> PooledState:
    if isinstance(a, NumericState) and isinstance(b, NumericState):
        return a.merge(b)
    if isinstance(a, CategoricalState) and isinstance(b, CategoricalState):
        return a.merge(b)
    if isinstance(a, TextState) and isinstance(b, TextState):
        return a.merge(b)
    raise TypeError(f"cannot pool a {type(a).__name__} with a {type(b).__name__}")


class _ColumnDriftMonitor(Monitor):
    """Shared logic: judge columns, count consecutive drifted windows per column.

    A column with too few rows in a window for a test is pooled with the next windows (at
    most ``max_pooled``) until the rows suffice; the test then covers the pooled windows.
    """

    kind = "drift"

    def __init__(
        self,
        reference: Reference,
        *,
        floor: float | None = None,
        persistence: int = 2,
        min_rows: int = MIN_ROWS,
        columns: list[str] | None = None,
        max_pooled: int = 60,
    ) -> None:
        super().__init__(reference)
        if persistence < 1:
            raise ValueError("persistence must be at least 1 window")
        if max_pooled < 1:
            raise ValueError("max_pooled must be at least 1 window")
        self.floor = floor
        self.persistence = persistence
        self.min_rows = min_rows
        self.columns = columns
        self.max_pooled = max_pooled
        self._streak: dict[str, int] = {}
        self._pool: dict[str, _Pooled] = {}

    def _selected(self) -> list[str]:
        raise NotImplementedError

    def _floors(self) -> dict[str, float]:
        if self.floor is None:
            return DEFAULT_FLOORS
        return dict.fromkeys(DEFAULT_FLOORS, self.floor)

    def verdicts(self, window: WindowProfile) -> list[ColumnVerdict]:
        """The verdict on every watched column (drifted or not)."""
        return [self._judge(name, self._state(window, name)) for name in self._selected()]

    def _state(self, window: WindowProfile, name: str) -> PooledState:
        """The window's state of a watched column."""
        return window.columns[name]

    def _judge(self, name: str, state: PooledState) -> ColumnVerdict:
        """The verdict on a watched column's (pooled) state."""
        assert not isinstance(state, TextState)
        return judge_column(
            self.reference.columns[name],
            state,
            window_sizes=self.reference.window_sizes,
            floors=self._floors(),
            min_rows=self.min_rows,
        )

    def _pooled_verdict(self, name: str, window: WindowProfile) -> tuple[ColumnVerdict, _Pooled]:
        """The verdict on the column's pooled rows; an untested pool is kept for the next window."""
        held = self._pool.pop(name, None)
        pooled = _Pooled(self._state(window, name), window.start, 1)
        if held is not None and held.windows < self.max_pooled:
            pooled = _Pooled(_merge(held.state, pooled.state), held.start, held.windows + 1)
        verdict = self._judge(name, pooled.state)
        if not verdict.tested:
            self._pool[name] = pooled
        return verdict, pooled

    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        out = []
        for name in self._selected():
            v, pooled = self._pooled_verdict(name, window)
            if not v.tested:
                continue
            streak = self._streak[v.name] = self._streak.get(v.name, 0) + 1 if v.drifted else 0
            if not v.drifted:
                continue
            level = Level.ALARM if streak >= self.persistence else Level.WARNING
            evidence: dict[str, Any] = {**v.evidence(), "consecutive_windows": streak}
            if pooled.windows > 1:
                evidence["pooled_windows"] = pooled.windows
            out.append(_signal(self, v, level, (pooled.start, window.end), evidence))
        return out

    def _clear(self) -> None:
        self._streak = {}
        self._pool = {}


def _signal(
    monitor: Monitor,
    v: ColumnVerdict,
    level: Level,
    span: tuple[datetime | None, datetime | None],
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
        window_start=span[0],
        window_end=span[1],
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
