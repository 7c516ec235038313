"""Is a proportion (accuracy, a class's recall) lower now than in the baseline, beyond chance?

Both the window and the baseline are samples: the baseline's rate is itself uncertain when it
was measured on few rows. The test conditions on the successes of both samples (Fisher's exact
test, one-sided), so under "no change" it fires with probability at most ``alpha`` whatever the
true rate and sizes. Wilson score bounds are normal approximations and are not used for the
decision: at a per-metric alpha of 3e-4 and a rate of 0.995 their two-sample version fired on
1.6% of null windows. The Wilson interval is still the one shown beside a window's value.
"""

from __future__ import annotations

import math
from functools import lru_cache

__all__ = ["critical_count", "drop_p_value", "wilson_interval"]


def _check(k: int, n: int, name: str) -> None:
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"{name}: need 0 <= successes <= trials and trials >= 1, got {k}/{n}")


def drop_p_value(k_now: int, n_now: int, k_base: int, n_base: int) -> float:
    """One-sided p-value that the window's rate ``k_now/n_now`` is below the baseline's.

    The chance, with the successes of both samples fixed, that the window gets ``k_now`` or
    fewer of them (hypergeometric lower tail).

    >>> round(drop_p_value(3, 10, 8, 10), 4), drop_p_value(8, 10, 8, 10) > 0.5
    (0.0349, True)
    """
    from scipy.stats import hypergeom  # at first use: scipy.stats is slow to import

    _check(k_now, n_now, "window")
    _check(k_base, n_base, "baseline")
    return float(hypergeom.cdf(k_now, n_now + n_base, k_now + k_base, n_now))


@lru_cache(maxsize=4096)  # windows of one model share sizes and baselines
def critical_count(n_now: int, k_base: int, n_base: int, alpha: float) -> int:
    """The largest number of successes in ``n_now`` trials still significantly low; -1 if none.

    >>> critical_count(10, 8, 10, 0.05), critical_count(10, 0, 10, 0.05)
    (3, -1)
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    _check(k_base, n_base, "baseline")
    if n_now < 1:
        return -1
    # The p-value grows with k_now (more successes now, less evidence of a drop): bisect.
    lo, hi = -1, n_now
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if drop_p_value(mid, n_now, k_base, n_base) <= alpha:
            lo = mid
        else:
            hi = mid - 1
    return lo


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided Wilson score interval of the proportion ``k/n``.

    >>> [round(b, 4) for b in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    """
    from scipy.special import ndtri

    _check(k, n, "interval")
    z = float(ndtri(0.5 + confidence / 2))
    p, z2 = k / n, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)
