"""Per-column drift verdicts shared by the drift monitors and the batch report."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from redline.profiles.calibration import interpolate_threshold
from redline.profiles.drift import PRIMARY, categorical_statistics, numeric_statistics, top_moves
from redline.profiles.reference import Reference
from redline.profiles.specs import ColumnSpec, NumericSpec
from redline.profiles.states import CategoricalState, NumericState
from redline.profiles.window import WindowProfile

__all__ = ["DEFAULT_FLOORS", "MIN_ROWS", "ColumnVerdict", "judge_column", "judge_columns"]

#: Minimum practical effect per primary statistic: smaller changes never alarm.
DEFAULT_FLOORS = {"wasserstein_norm": 0.1, "js_distance": 0.1}
#: Fewer rows than this and a distribution test is not run.
MIN_ROWS = 300


@dataclass(frozen=True)
class ColumnVerdict:
    """One column's drift: its primary statistic against the calibrated threshold."""

    name: str
    kind: str
    role: str
    statistic: str
    value: float
    threshold: float
    calibrated: float
    floor: float
    drifted: bool
    n_rows: int
    statistics: dict[str, float] = field(default_factory=dict)
    top_moves: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def evidence(self) -> dict[str, Any]:
        """What a signal carries about this verdict."""
        return {
            "calibrated_threshold": self.calibrated,
            "floor": self.floor,
            "statistics": self.statistics,
            "top_moves": self.top_moves,
        }


def judge_column(
    spec: ColumnSpec,
    state: NumericState | CategoricalState,
    *,
    window_sizes: tuple[int, ...],
    floors: dict[str, float],
    min_rows: int = MIN_ROWS,
) -> ColumnVerdict:
    """The verdict on one column."""
    if isinstance(spec, NumericSpec):
        assert isinstance(state, NumericState)
        stats = numeric_statistics(spec, state)
        statistic = PRIMARY["numeric"]
    else:
        assert isinstance(state, CategoricalState)
        stats = categorical_statistics(spec, state)
        statistic = PRIMARY["categorical"]
    value = stats[statistic]
    sizes = spec.thresholds.get(statistic, [])
    calibrated = interpolate_threshold(window_sizes, sizes, state.n) if sizes else 0.0
    floor = floors.get(statistic, 0.0)
    threshold = max(calibrated, floor)
    note = None
    if state.n < min_rows:
        note = f"{state.n} rows; distribution tests need at least {min_rows}"
    drifted = note is None and not math.isnan(value) and value > threshold
    return ColumnVerdict(
        name=spec.name,
        kind=spec.kind.value,
        role=spec.role.value,
        statistic=statistic,
        value=value,
        threshold=threshold,
        calibrated=calibrated,
        floor=floor,
        drifted=drifted,
        n_rows=state.n,
        statistics=stats,
        top_moves=top_moves(spec, state) if state.n else [],
        note=note,
    )


def judge_columns(
    reference: Reference,
    window: WindowProfile,
    names: Iterable[str],
    *,
    floors: dict[str, float] | None = None,
    min_rows: int = MIN_ROWS,
) -> list[ColumnVerdict]:
    """Verdicts on the named columns of a window."""
    chosen = floors if floors is not None else DEFAULT_FLOORS
    out = []
    for name in names:
        spec = reference.columns[name]
        state = window.columns[name]
        out.append(
            judge_column(
                spec, state, window_sizes=reference.window_sizes, floors=chosen, min_rows=min_rows
            )
        )
    return out
