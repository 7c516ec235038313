"""The rate checks of the integrity monitor: each a window count against the reference's rate.

A rate breaches when its share clears the effect floor of its kind and its count clears the
one-sided exact test of :func:`redline.profiles.integrity_calibration.rate_limit`; the test is
computed only past the floor, so a quiet window costs no scipy call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redline.profiles.integrity_calibration import rate_limit
from redline.profiles.specs import CategoricalSpec, ColumnSpec, NumericSpec
from redline.profiles.states import CategoricalState, ColumnState, NumericState

__all__ = ["RateCheck", "judge_rate", "rate_checks"]


@dataclass(frozen=True)
class RateCheck:
    """``count`` of ``n`` window rows against the reference's ``count_ref`` of ``n_ref``."""

    kind: str
    statistic: str
    count: int
    n: int
    count_ref: float
    n_ref: float
    offset: float = 0.0  # subtracted from the share: the reference rate, for "jump" statistics
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> float:
        """The share of the window's rows (less ``offset``)."""
        return self.count / self.n - self.offset if self.n else 0.0


def judge_rate(check: RateCheck, *, floor: float, alpha: float) -> float | None:
    """The limit ``check.value`` exceeds when it breaches both floor and test, else None.

    >>> check = RateCheck("null_jump", "null_share_jump", 150, 1000, 0.0, 1e6)
    >>> round(judge_rate(check, floor=0.05, alpha=1e-3), 3)
    0.05
    >>> judge_rate(RateCheck("null_jump", "s", 8, 100, 5e4, 1e6, 0.05), floor=0.0, alpha=1e-3)
    """
    if check.value <= floor:
        return None
    critical = rate_limit(check.n, count_ref=check.count_ref, n_ref=check.n_ref, alpha=alpha)
    if check.count <= critical:
        return None
    return max(floor, critical / check.n - check.offset)


def rate_checks(spec: ColumnSpec, state: ColumnState, *, seen: int, n_ref: int) -> list[RateCheck]:
    """Every rate check of one column's window state; ``seen`` rows, ``n_ref`` fitted rows."""
    nulls = seen - state.n
    out: list[RateCheck] = []
    if isinstance(state, NumericState) and isinstance(spec, NumericSpec):
        nulls -= state.n_invalid
        out.extend(_numeric_checks(spec, state, seen=seen, n_ref=n_ref))
    if isinstance(state, CategoricalState) and isinstance(spec, CategoricalSpec) and state.n:
        other, total = float(spec.counts[-1]), float(spec.counts.sum())
        unseen = {"top_unseen": state.unseen.top(10)}
        out.append(
            RateCheck(
                "unseen_categories",
                "unseen_share_jump",
                int(state.counts[-1]),
                state.n,
                other,
                total,
                other / total,
                unseen,
            )
        )
    null_ref = spec.null_share * n_ref
    shown = {"null_share": nulls / seen}
    out.append(
        RateCheck(
            "null_jump", "null_share_jump", nulls, seen, null_ref, n_ref, spec.null_share, shown
        )
    )
    return out


def _numeric_checks(
    spec: NumericSpec, state: NumericState, *, seen: int, n_ref: int
) -> list[RateCheck]:
    # A numeric kind is inferred only from numbers, so the reference held no invalid value.
    out = [RateCheck("type_violation", "invalid_share", state.n_invalid, seen, 0.0, n_ref)]
    if state.n:
        outside = int(state.counts[0] + state.counts[-1])
        shown = {
            "reference_min": spec.min,
            "reference_max": spec.max,
            "min": state.min,
            "max": state.max,
        }
        # The mass beyond the range of n draws is Beta(2, n - 1): 1.5 of n under Jeffreys' 1/2.
        out.append(
            RateCheck("out_of_range", "out_of_range_share", outside, state.n, 1.5, spec.n, 0, shown)
        )
    return out
