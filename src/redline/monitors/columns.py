"""Per-column drift verdicts shared by the drift monitors and the batch report."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from redline.profiles.calibration import interpolate_threshold
from redline.profiles.drift import PRIMARY, categorical_statistics, numeric_statistics, top_moves
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, ColumnSpec, NumericSpec
from redline.profiles.states import CategoricalState, NumericState
from redline.profiles.text_drift import TOKEN_STATISTIC, text_statistics, top_token_moves
from redline.profiles.text_sketch import TextSpec, TextState
from redline.profiles.window import WindowProfile

__all__ = [
    "DEFAULT_FLOORS",
    "MIN_ROWS",
    "ColumnVerdict",
    "calibrated_threshold",
    "fewest_rows",
    "judge_column",
    "judge_columns",
    "judge_text",
]

#: Minimum practical effect per primary statistic: smaller changes never alarm.
DEFAULT_FLOORS = {"wasserstein_norm": 0.1, "js_distance": 0.1, TOKEN_STATISTIC: 0.1}
#: Fewest rows a distribution test runs on; the reference's smallest calibrated window size
#: raises it (a threshold is never stretched below the sizes it was calibrated for).
MIN_ROWS = 100


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
    tested: bool = True

    def evidence(self) -> dict[str, Any]:
        """What a signal carries about this verdict."""
        return {
            "calibrated_threshold": self.calibrated,
            "floor": self.floor,
            "statistics": self.statistics,
            "top_moves": self.top_moves,
        }


def fewest_rows(window_sizes: Sequence[int], min_rows: int = MIN_ROWS) -> int:
    """The fewest rows a drift test runs on: ``min_rows``, or the smallest calibrated size.

    >>> fewest_rows((100, 1_000)), fewest_rows((300, 1_000))
    (100, 300)
    """
    return max(min_rows, min(window_sizes, default=0))


def calibrated_threshold(spec: ColumnSpec, window_sizes: Sequence[int], n_rows: int) -> float:
    """The calibrated threshold of the column's primary statistic for ``n_rows`` (0 if none).

    Categorical statistics jump between atoms as the size changes, so they take the
    threshold of the nearest calibrated size below rather than an interpolation.
    """
    kind = "numeric" if isinstance(spec, NumericSpec) else "categorical"
    sizes = spec.thresholds.get(PRIMARY[kind], [])
    if not sizes:
        return 0.0
    return interpolate_threshold(
        window_sizes, sizes, n_rows, step=isinstance(spec, CategoricalSpec)
    )


def judge_column(
    spec: ColumnSpec,
    state: NumericState | CategoricalState,
    *,
    window_sizes: tuple[int, ...],
    floors: dict[str, float],
    min_rows: int = MIN_ROWS,
    detail: bool = True,
) -> ColumnVerdict:
    """The verdict on one column; ``detail=False``: its primary statistic only, no top moves."""
    if isinstance(spec, NumericSpec):
        assert isinstance(state, NumericState)
        statistic = PRIMARY["numeric"]
        stats = numeric_statistics(spec, state, only=None if detail else (statistic,))
    else:
        assert isinstance(state, CategoricalState)
        statistic = PRIMARY["categorical"]
        stats = categorical_statistics(spec, state, only=None if detail else (statistic,))
    calibrated = calibrated_threshold(spec, window_sizes, state.n)
    moves = top_moves(spec, state) if state.n and detail else []
    return _verdict(
        spec,
        state.n,
        (statistic, stats),
        calibrated=calibrated,
        floor=floors.get(statistic, 0.0),
        fewest=fewest_rows(window_sizes, min_rows),
        moves=moves,
    )


def _verdict(
    spec: ColumnSpec | TextSpec,
    n_rows: int,
    found: tuple[str, dict[str, float]],
    *,
    calibrated: float,
    floor: float,
    fewest: int,
    moves: list[dict[str, Any]],
) -> ColumnVerdict:
    """The verdict on a primary statistic against max(calibrated threshold, floor)."""
    statistic, stats = found
    value = stats[statistic]
    threshold = max(calibrated, floor)
    tested = n_rows >= fewest
    note = None if tested else f"not tested: {n_rows} rows; drift tests need at least {fewest}"
    drifted = tested and not math.isnan(value) and value > threshold
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
        n_rows=n_rows,
        statistics=stats,
        top_moves=moves,
        note=note,
        tested=tested,
    )


def judge_text(
    spec: TextSpec,
    state: TextState,
    *,
    window_sizes: tuple[int, ...],
    floors: dict[str, float],
    min_rows: int = MIN_ROWS,
) -> ColumnVerdict:
    """The verdict on a text column's token sketch; rows are texts, not tokens."""
    stats = text_statistics(spec, state)
    sizes = spec.thresholds.get(TOKEN_STATISTIC, [])
    calibrated = interpolate_threshold(window_sizes, sizes, state.n) if sizes else 0.0
    return _verdict(
        spec,
        state.n,
        (TOKEN_STATISTIC, stats),
        calibrated=calibrated,
        floor=floors.get(TOKEN_STATISTIC, 0.0),
        fewest=fewest_rows(window_sizes, min_rows),
        moves=top_token_moves(spec, state) if state.n else [],
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
