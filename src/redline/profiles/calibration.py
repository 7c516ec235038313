"""Thresholds calibrated to the window size by a two-sample bootstrap on the reference bins.

Resampling rows of the reference and binning them is the same, for any statistic computed on
fixed bins, as drawing bin counts from a multinomial with the reference shares; that makes a
calibration with thousands of draws cost milliseconds at any window size. Both the reference
and the window are redrawn, so the null accounts for the reference's own sampling noise.

The quantile is read from the draws whenever enough of them land beyond it: that holds for
columns with few bins (a binary column gets ~10⁵ draws for a few milliseconds), whose statistic
is discrete and whose tail no smooth model fits. Columns with many bins cost more per draw;
past the reachable level their tail is extrapolated as exponential, which overstates the
quantile of the light (Gaussian-like) tails of these statistics, so it errs on the quiet side.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from redline.profiles.stats import shares

__all__ = [
    "DEFAULT_WINDOW_SIZES",
    "calibrate_thresholds",
    "interpolate_threshold",
    "tail_quantile",
]

FloatArray = NDArray[np.float64]
Statistic = Callable[[FloatArray, FloatArray], FloatArray]

DEFAULT_WINDOW_SIZES: tuple[int, ...] = (100, 300, 1_000, 3_000, 10_000, 100_000, 1_000_000)

#: Draws beyond a quantile needed to read it off the draws rather than extrapolate.
_EXCEEDANCES = 25
#: Bootstrap budget per window size, in draws x bins (about 30 ms of sampling).
_MAX_CELLS = 80_000
_MAX_DRAWS = 100_000
_CHUNK_CELLS = 200_000
#: One-sided normal quantile for the confidence bound on the read-off quantile (95%).
_Z_CONFIDENCE = 1.645


def _draw_statistic(
    statistic: Statistic, p: FloatArray, n_ref: int, w: int, n_draws: int, rng: np.random.Generator
) -> FloatArray:
    """``n_draws`` values of the statistic with both samples redrawn, in memory-bounded chunks."""
    chunk = max(1, _CHUNK_CELLS // p.size)
    parts = []
    for start in range(0, n_draws, chunk):
        size = min(chunk, n_draws - start)
        ref = rng.multinomial(n_ref, p, size=size).astype(np.float64)
        cur = rng.multinomial(w, p, size=size).astype(np.float64)
        parts.append(statistic(ref, cur))
    return np.sort(np.concatenate(parts))


def _upper_bound(ordered: FloatArray, tail: float) -> float:
    """A value the ``1 - tail`` quantile lies below with ~95% confidence (sorted draws).

    Of n draws, Binomial(n, tail) exceed the true quantile; taking the j-th largest with j
    that count's lower 5% point keeps the false-alarm rate at or under ``tail`` even for a
    discrete statistic, where the plain sample quantile falls on either side of an atom.
    """
    expected = ordered.size * tail
    j = max(1, math.floor(expected - _Z_CONFIDENCE * math.sqrt(expected)))
    return float(ordered[ordered.size - j])


def tail_quantile(ordered: FloatArray, tail: float) -> float:
    """The ``1 - tail`` quantile: read off the draws, or extrapolated past the reachable level."""
    reachable = _EXCEEDANCES / ordered.size
    if tail >= reachable:
        return _upper_bound(ordered, tail)
    near, far = np.quantile(ordered, [1.0 - reachable, 1.0 - 10.0 * reachable])
    # Exponential tail: the quantile grows by (near - far) per decade of tail probability.
    decades = math.log10(reachable / tail)
    return _upper_bound(ordered, reachable) + max(float(near - far), 0.0) * decades


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

    ``n_boot`` is the fewest draws; more are taken, within a fixed budget of draws x bins,
    until about 25 land beyond the quantile. The quantile is then an upper 95% confidence
    bound read off the draws; past the budget its tail is extrapolated as exponential.

    >>> from redline.profiles.stats import js_distance
    >>> t = calibrate_thresholds(js_distance, np.array([50.0, 30.0, 20.0]), n_ref=100,
    ...                          window_sizes=[100, 10_000], quantile=0.99)
    >>> t[0] > t[1] > 0
    True
    """
    rng = np.random.default_rng(seed)
    p = shares(ref_counts)
    tail = 1.0 - quantile
    wanted = math.ceil(_EXCEEDANCES / tail) if tail > 0 else _MAX_DRAWS
    affordable = max(n_boot, min(_MAX_DRAWS, _MAX_CELLS // max(p.size, 1)))
    n_draws = max(n_boot, min(wanted, affordable))
    out: list[float] = []
    for w in window_sizes:
        ordered = _draw_statistic(statistic, p, n_ref, int(w), n_draws, rng)
        out.append(tail_quantile(ordered, tail))
    return out


def interpolate_threshold(
    window_sizes: Sequence[int], thresholds: Sequence[float], n_rows: int, *, step: bool = False
) -> float:
    """Threshold for a window of ``n_rows``, log-log interpolated; clamped at the ends.

    ``step`` takes the threshold of the largest calibrated size not above ``n_rows`` instead:
    the quantile of a statistic of a few categories jumps between atoms as the size changes
    (no zero count in 100 rows is likely, in 150 rows it is a 1% event when the share is 3%),
    so a value between two sizes is no bound for it.

    >>> round(interpolate_threshold([100, 10_000], [0.2, 0.02], 1_000), 6)
    0.063246
    >>> interpolate_threshold([100, 10_000], [0.2, 0.02], 1_000, step=True)
    0.2
    """
    if not thresholds:
        return 0.0
    if step:
        at = int(np.searchsorted(np.asarray(window_sizes), n_rows, side="right"))
        return float(thresholds[max(at - 1, 0)])
    sizes = np.log(np.asarray(window_sizes, dtype=np.float64))
    values = np.log(np.maximum(np.asarray(thresholds, dtype=np.float64), 1e-300))
    x = float(np.log(max(n_rows, 1)))
    return float(np.exp(np.interp(x, sizes, values)))
