"""When a shift began: the most likely single upward change in the mean of a window series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["ChangePoint", "find_change_point", "split_gains"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ChangePoint:
    """The first window of the shifted segment, the gain of the split and its permutation p."""

    onset: int
    gain: float
    before_mean: float
    after_mean: float
    p_value: float
    method: str = "Gaussian mean-shift likelihood ratio (CUSUM), permutation p-value"


def split_gains(series: Sequence[float] | FloatArray) -> FloatArray:
    """Reduction of the squared error when ``series`` splits before index ``k`` (k = 1..n-1).

    ``k (n - k) / n * (mean_after - mean_before)^2``, signed by the direction of the change,
    which equals the two-segment least-squares gain and is the CUSUM statistic squared.

    >>> split_gains([0.0, 0.0, 1.0, 1.0]).round(3).tolist()
    [0.333, 1.0, 0.333]
    """
    x = np.asarray(series, dtype=np.float64)
    n = x.size
    if n < 2:
        return np.zeros(0)
    k = np.arange(1, n)
    cum = np.cumsum(x)[:-1]
    before = cum / k
    after = (x.sum() - cum) / (n - k)
    diff = after - before
    out: FloatArray = np.sign(diff) * k * (n - k) / n * diff**2
    return out


def find_change_point(
    series: Sequence[float], *, permutations: int = 199, seed: int = 0
) -> ChangePoint | None:
    """The upward mean shift with the largest gain; None for fewer than 3 points or no rise.

    The p-value is the share of shuffled series (same values, order destroyed) whose best
    upward split gains at least as much: small when the order of the windows matters.

    >>> find_change_point([0.1, 0.0, 0.1, 0.9, 1.0, 0.9]).onset
    3
    """
    x = np.asarray(series, dtype=np.float64)
    if x.size < 3 or not np.all(np.isfinite(x)):
        return None
    gains = split_gains(x)
    best = int(np.argmax(gains))
    if gains[best] <= 0:
        return None
    rng = np.random.default_rng(seed)
    higher = sum(
        float(np.max(split_gains(rng.permutation(x)))) >= gains[best] for _ in range(permutations)
    )
    onset = best + 1
    return ChangePoint(
        onset=onset,
        gain=float(gains[best]),
        before_mean=float(x[:onset].mean()),
        after_mean=float(x[onset:].mean()),
        p_value=float((1 + higher) / (1 + permutations)),
    )
