"""Confidence drop: the window's mean confidence below the reference, in reference σ.

Confidence is skewed (most rows near 1, a few far below), so the mean of a small window has a
long lower tail: at alpha 0.001 the normal bound alone fired on 1.4e-3 to 3.8e-3 of 100-row
null windows (Beta(8,2), Beta(20,1), 3% of rows at 0.2, 1% at 0.1; 1.8e-2 for one reference
of the last). The noise bound is therefore also read off window means drawn from the
reference's own bins: 0.7e-3 to 1.1e-3 on the same windows.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from numpy.typing import NDArray

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.profiles.reference import Reference
from redline.profiles.specs import NumericSpec, Role
from redline.profiles.states import NumericState
from redline.profiles.window import WindowProfile

__all__ = ["ConfidenceMonitor", "drop_quantile_sd"]

FloatArray = NDArray[np.float64]
_DRAWS = 50_000
_GRID = 1.05  # window sizes share a bound within 5% (rounded down: a slightly wider bound)


def _placed(spec: NumericSpec) -> tuple[FloatArray, FloatArray]:
    """Bin edges as values, with shares placing each bin's rows between its two edges.

    A share t of every bin sits at its upper edge, the rest at its lower, with t in [0, 1/2]
    chosen so that the binned spread equals the reference's: mid-points understate a tail that
    is an atom at a bin's lower edge (1% of rows at 0.1: the bound came out 25% short).
    """
    e = spec.edges
    lower = np.concatenate([[min(spec.min, float(e[0]))], e])
    upper = np.concatenate([e, [max(spec.max, float(e[-1]))]])
    values, base = np.concatenate([lower, upper]), spec.counts / spec.counts.sum()

    def shares(t: float) -> FloatArray:
        return np.concatenate([base * (1 - t), base * t])

    def excess(t: float) -> float:
        w = shares(t)
        return float(w @ values**2 - (w @ values) ** 2) - spec.std**2

    lo, hi = 0.0, 0.5
    if excess(hi) >= 0 or excess(lo) <= 0:
        return values, shares(hi if excess(hi) >= 0 else lo)
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if excess(mid) > 0 else (lo, mid)
    return values, shares(lo)


def drop_quantile_sd(spec: NumericSpec, n: int, alpha: float, *, seed: int = 0) -> float:
    """The (1 - alpha) quantile of the mean's drop, in reference sd, over n-row reference windows.

    Windows are multinomial draws on the reference's bins (see ``_placed``); the reference
    mean's own uncertainty widens the quantile by sqrt(1 + n / n_ref).
    """
    values, shares = _placed(spec)
    draws = np.random.default_rng(seed).multinomial(n, shares, size=_DRAWS)
    drops = (float(shares @ values) - draws @ values / n) / spec.std
    return float(np.quantile(drops, 1 - alpha)) * math.sqrt(1 + n / spec.n)


def _bucket(n: int) -> int:
    return max(1, int(_GRID ** math.floor(math.log(n, _GRID) + 1e-9)))


class ConfidenceMonitor(Monitor):
    """Alarm when mean confidence drops by more than both noise and ``min_drop_sd``.

    The noise bound is the larger of the one-sided (1 - alpha) normal quantile of the difference
    of two means, sqrt(1/w + 1/n_ref) standard deviations, and the same quantile over window
    means drawn from the reference (:func:`drop_quantile_sd`).
    """

    name = "confidence_drop"

    def __init__(
        self,
        reference: Reference,
        *,
        min_drop_sd: float = 0.25,
        alpha: float = 0.001,
        min_rows: int = 100,
    ) -> None:
        super().__init__(reference)
        self.min_drop_sd = min_drop_sd
        self.alpha = alpha
        self.min_rows = min_rows
        self._bounds: dict[tuple[str, int], float] = {}

    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        from scipy.special import ndtri  # on the window thread, not at import

        out = []
        for spec in self.reference.role_columns(Role.CONFIDENCE):
            state = window.columns[spec.name]
            if not isinstance(spec, NumericSpec) or not isinstance(state, NumericState):
                continue
            if state.n < self.min_rows or spec.std <= 0:
                continue
            drop = (spec.mean - state.mean) / spec.std
            noise = float(ndtri(1 - self.alpha)) * math.sqrt(1 / state.n + 1 / spec.n)
            threshold = max(noise, self._bound(spec, state.n), self.min_drop_sd)
            if drop > threshold:
                out.append(
                    Signal(
                        monitor=self.name,
                        kind="confidence_drop",
                        column=spec.name,
                        statistic="mean_drop_sd",
                        value=drop,
                        threshold=threshold,
                        level=Level.WARNING,
                        window_start=window.start,
                        window_end=window.end,
                        n_rows=state.n,
                        evidence={"reference_mean": spec.mean, "current_mean": state.mean},
                    )
                )
        return out

    def _bound(self, spec: NumericSpec, n: int) -> float:
        key = (spec.name, _bucket(n))
        if key not in self._bounds:
            seed = zlib.crc32(f"{spec.name}:{key[1]}".encode())
            self._bounds[key] = drop_quantile_sd(spec, key[1], self.alpha, seed=seed)
        return self._bounds[key]
