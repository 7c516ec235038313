"""Integrity thresholds calibrated to the window size: the null of the mapping-error statistics
and exact one-sided tests of a window's rate against the reference's.

Mapping error. With no change, a window's label counts are a multinomial draw from the
reference shares, and the reference's own counts are another. The squared Jensen-Shannon
distance (the divergence) is then close to a quadratic form in the count deviations, so a
scaled chi-squared whose scale and degrees of freedom match its mean and variance over
bootstrap draws (Satterthwaite) gives any tail quantile. Against 100,000 draws its 1e-3 and
1e-4 quantiles are within 5% for 2 to 500 labels and windows of 100 to 10,000 rows, where the
empirical quantile of 2,000 draws cannot reach them at all.

Rates (nulls, unseen labels, values out of range, type violations). Given the true rate ``p``
a window's count is Binomial(n, p); the reference's ``k`` of ``n_ref`` rows leave ``p`` Beta
distributed, so the count is beta-binomial. For the share beyond the reference's min and max
this is exact for any continuous column: the mass outside the range of ``n_ref`` draws is
Beta(2, n_ref - 1), whose mean 2/(n_ref + 1) is the share the fitted outer bins hold.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from redline.profiles.calibration import interpolate_threshold
from redline.profiles.stats import js_distance, shares

__all__ = [
    "MAPPING_STATISTICS",
    "calibrate_mapping",
    "mapping_key",
    "mapping_limit",
    "mapping_statistics",
    "rate_limit",
    "unswapped_counts",
]

FloatArray = NDArray[np.float64]

#: The two statistics of the mapping-error signature, as named in a signal's evidence.
MAPPING_STATISTICS = ("js_by_label", "js_of_sorted_frequencies")

#: Past this many reference rows per window row the rate's uncertainty is under 1% of the
#: window's own variance, and scipy's beta-binomial loses precision: the binomial is used.
_BINOMIAL_RATIO = 100.0


def mapping_statistics(ref_counts: FloatArray, cur_counts: FloatArray) -> list[FloatArray]:
    """JS distance by label and JS distance of the sorted frequencies, "other" (last) dropped.

    >>> ref, cur = np.array([60.0, 30.0, 10.0, 0.0]), np.array([30.0, 60.0, 10.0, 5.0])
    >>> [round(float(v), 3) for v in mapping_statistics(ref, cur)]
    [0.271, 0.0]
    """
    ref, cur = ref_counts[..., :-1], cur_counts[..., :-1]
    ordered = js_distance(-np.sort(-ref, axis=-1), -np.sort(-cur, axis=-1))
    return [js_distance(ref, cur), ordered]


def unswapped_counts(
    ref_counts: FloatArray, cur_counts: FloatArray, *, alpha: float
) -> FloatArray | None:
    """The window's counts with the labels that moved beyond chance re-paired by rank.

    A remap moves a label's mass wholesale onto another label, so the labels it touches move
    far beyond chance, and giving each the count ranked like its reference share undoes it. A
    seasonal reshuffle scales many shares by moderate factors: few labels move that far, and
    re-pairing them leaves the rest changed. A label moved if its share differs from the
    reference's by a two-sample z-test at ``alpha`` shared by the labels (two-sided); None
    when fewer than two did. "Other" (last) is never re-paired.

    >>> ref, cur = np.array([600.0, 300.0, 100.0, 0.0]), np.array([30.0, 60.0, 10.0, 0.0])
    >>> unswapped_counts(ref, cur, alpha=0.01).tolist()
    [60.0, 30.0, 10.0, 0.0]
    """
    from scipy.special import ndtri

    ref, cur = ref_counts[:-1], cur_counts[:-1]
    n_ref, n = float(ref.sum()), float(cur.sum())
    if n_ref <= 0 or n <= 0:
        return None
    pooled = (ref + cur) / (n_ref + n)
    spread = np.sqrt(np.maximum(pooled * (1.0 - pooled), 1e-300) * (1.0 / n_ref + 1.0 / n))
    z = np.abs(cur / n - ref / n_ref) / spread
    moved = np.flatnonzero(z > -float(ndtri(alpha / (2.0 * ref.size))))
    if moved.size < 2:
        return None
    out = cur_counts.astype(np.float64, copy=True)
    out[moved[np.argsort(-ref[moved], kind="stable")]] = -np.sort(-cur[moved])
    return out


def mapping_key(statistic: str, part: str) -> str:
    """Where a reference keeps ``part`` ("scale" or "df") of a mapping statistic's null."""
    return f"mapping.{statistic}.{part}"


def _chi2_fit(divergence: FloatArray) -> tuple[float, float]:
    """Scale and degrees of freedom of the chi-squared with the draws' mean and variance."""
    mean, var = float(divergence.mean()), float(divergence.var())
    if mean <= 0.0 or var <= 0.0:
        return 0.0, 1.0
    return var / (2.0 * mean), 2.0 * mean * mean / var


def calibrate_mapping(
    ref_counts: FloatArray,
    *,
    n_ref: int,
    window_sizes: Sequence[int],
    n_boot: int = 2_000,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Null scale and degrees of freedom of each mapping statistic per window size.

    >>> fit = calibrate_mapping(np.array([500.0, 300.0, 200.0, 1.0]), n_ref=1000,
    ...                         window_sizes=[100, 1000])
    >>> sorted(fit)[:2]
    ['mapping.js_by_label.df', 'mapping.js_by_label.scale']
    >>> fit["mapping.js_by_label.scale"][0] > fit["mapping.js_by_label.scale"][1]
    True
    """
    rng = np.random.default_rng(seed)
    p = shares(ref_counts)
    out: dict[str, list[float]] = {
        mapping_key(s, part): [] for s in MAPPING_STATISTICS for part in ("scale", "df")
    }
    for w in window_sizes:
        ref = rng.multinomial(max(n_ref, 1), p, size=n_boot).astype(np.float64)
        cur = rng.multinomial(int(w), p, size=n_boot).astype(np.float64)
        for name, values in zip(MAPPING_STATISTICS, mapping_statistics(ref, cur), strict=True):
            scale, df = _chi2_fit(values**2)
            out[mapping_key(name, "scale")].append(round(scale, 12))
            out[mapping_key(name, "df")].append(round(df, 6))
    return out


def mapping_limit(
    thresholds: Mapping[str, Sequence[float]],
    window_sizes: Sequence[int],
    n_rows: int,
    *,
    statistic: str,
    quantile: float,
) -> float | None:
    """The JS distance ``statistic`` stays below with probability ``quantile`` under no change.

    Log-log interpolated between the calibrated window sizes; below the smallest it grows as
    1/sqrt(n), the divergence's leading order (an overestimate when counts are sparse). None
    when the reference holds no calibration for it.

    >>> fit = {"mapping.js_by_label.scale": [0.01], "mapping.js_by_label.df": [1.0]}
    >>> round(mapping_limit(fit, [100], 400, statistic="js_by_label", quantile=0.95), 4)
    0.196
    """
    scales = thresholds.get(mapping_key(statistic, "scale"))
    dfs = thresholds.get(mapping_key(statistic, "df"))
    if not scales or not dfs:
        return None
    limits = _chi2_limits(tuple(scales), tuple(dfs), quantile)
    smallest = min(window_sizes)
    limit = interpolate_threshold(window_sizes, limits, max(n_rows, smallest))
    if n_rows < smallest:
        limit *= math.sqrt(smallest / max(n_rows, 1))
    return min(limit, 1.0)


@functools.lru_cache(maxsize=4096)
def _chi2_limits(
    scales: tuple[float, ...], dfs: tuple[float, ...], quantile: float
) -> tuple[float, ...]:
    """The limit at each calibrated window size: the same for every window of a column, so it is
    computed once per column, statistic and quantile."""
    from scipy import stats  # at first use: importing scipy.stats takes a third of a second

    return tuple(
        math.sqrt(s * float(stats.chi2.ppf(quantile, d))) for s, d in zip(scales, dfs, strict=True)
    )


def rate_limit(n_rows: int, *, count_ref: float, n_ref: float, alpha: float) -> int:
    """The largest count of ``n_rows`` not significant at ``alpha``, one-sided.

    The count is beta-binomial: Binomial(n_rows, p) with p ~ Beta(count_ref + 1/2,
    n_ref - count_ref + 1/2), Jeffreys' posterior from the reference; a window's count above
    the result has a chance of at most ``alpha`` under no change.

    >>> rate_limit(1000, count_ref=20_000.0, n_ref=1e6, alpha=1e-3)
    35
    >>> rate_limit(1000, count_ref=2.0, n_ref=1000.0, alpha=1e-3)
    14
    """
    from scipy import stats

    a = count_ref + 0.5
    b = max(n_ref - count_ref, 0.0) + 0.5
    if a + b >= _BINOMIAL_RATIO * n_rows:
        return int(stats.binom.isf(alpha, n_rows, a / (a + b)))
    return int(stats.betabinom.isf(alpha, n_rows, a, b))
