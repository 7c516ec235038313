"""Thresholds calibrated to the window size by a two-sample bootstrap on the reference bins.

Resampling rows of the reference and binning them is the same, for any statistic computed on
fixed bins, as drawing bin counts from a multinomial with the reference shares; that makes a
calibration with thousands of draws cost milliseconds at any window size. Both the reference
and the window are redrawn, so the null accounts for the reference's own sampling noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtri

from redline.profiles.stats import shares

__all__ = ["DEFAULT_WINDOW_SIZES", "calibrate_thresholds", "interpolate_threshold"]

FloatArray = NDArray[np.float64]
Statistic = Callable[[FloatArray, FloatArray], FloatArray]

DEFAULT_WINDOW_SIZES: tuple[int, ...] = (100, 300, 1_000, 3_000, 10_000, 100_000, 1_000_000)


def calibrate_thresholds(
    statistic: Statistic,
    ref_counts: FloatArray,
    *,
    n_ref: int,
    window_sizes: Sequence[int],
    quantile: float,
    n_boot: int = 2_000,
    seed: int = 0,
) -> list[float]:
    """The ``quantile`` of the no-drift statistic for each window size.

    The empirical quantile is used where the draws reach it; beyond that the upper tail is
    extrapolated from a log-normal fitted to the draws, and the larger of the two is kept.

    >>> from redline.profiles.stats import js_distance
    >>> t = calibrate_thresholds(js_distance, np.array([50.0, 30.0, 20.0]), n_ref=100,
    ...                          window_sizes=[100, 10_000], quantile=0.99)
    >>> t[0] > t[1] > 0
    True
    """
    rng = np.random.default_rng(seed)
    p = shares(ref_counts)
    z = float(ndtri(quantile))
    reachable = min(quantile, 1.0 - 20.0 / n_boot)
    out: list[float] = []
    for w in window_sizes:
        ref_draws = rng.multinomial(n_ref, p, size=n_boot).astype(np.float64)
        cur_draws = rng.multinomial(int(w), p, size=n_boot).astype(np.float64)
        values = statistic(ref_draws, cur_draws)
        empirical = float(np.quantile(values, reachable))
        logs = np.log(values[values > 0])
        tail = float(np.exp(logs.mean() + z * logs.std())) if logs.size > 10 else empirical
        out.append(max(empirical, tail))
    return out


def interpolate_threshold(
    window_sizes: Sequence[int], thresholds: Sequence[float], n_rows: int
) -> float:
    """Threshold for a window of ``n_rows``, log-log interpolated; clamped at the ends.

    >>> round(interpolate_threshold([100, 10_000], [0.2, 0.02], 1_000), 6)
    0.063246
    """
    if not thresholds:
        return 0.0
    sizes = np.log(np.asarray(window_sizes, dtype=np.float64))
    values = np.log(np.maximum(np.asarray(thresholds, dtype=np.float64), 1e-300))
    x = float(np.log(max(n_rows, 1)))
    return float(np.exp(np.interp(x, sizes, values)))
