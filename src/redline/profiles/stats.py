"""Distribution statistics on fixed bins, vectorised over leading axes.

Every function takes count (or probability) arrays whose last axis is the bins, so one call
scores one window or thousands of bootstrap windows at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "KL_SMOOTHING",
    "chi2_statistic",
    "js_distance",
    "js_of_shares",
    "kl_divergence",
    "kl_of_shares",
    "ks_distance",
    "ks_of_shares",
    "linf_distance",
    "linf_of_shares",
    "psi",
    "psi_of_shares",
    "shares",
    "wasserstein_binned",
    "wasserstein_of_shares",
]

FloatArray = NDArray[np.float64]

#: Additive (Laplace) smoothing, in counts, applied to every bin before KL, PSI and JS.
KL_SMOOTHING = 0.5


def shares(
    counts: NDArray[np.floating] | NDArray[np.integer], smoothing: float = 0.0
) -> FloatArray:
    """Counts to probabilities along the last axis, with optional additive smoothing.

    >>> shares(np.array([1, 3]))
    array([0.25, 0.75])
    """
    c = np.asarray(counts, dtype=np.float64) + smoothing
    total = c.sum(axis=-1, keepdims=True)
    out: FloatArray = np.divide(c, total, out=np.zeros_like(c), where=total > 0)
    return out


def psi(
    ref_counts: FloatArray, cur_counts: FloatArray, smoothing: float = KL_SMOOTHING
) -> FloatArray:
    """Population stability index, sum((q - p) ln(q / p)), on smoothed shares.

    >>> round(float(psi(np.array([50.0, 50.0]), np.array([50.0, 50.0]))), 6)
    0.0
    """
    return psi_of_shares(shares(ref_counts, smoothing), shares(cur_counts, smoothing))


def psi_of_shares(p: FloatArray, q: FloatArray) -> FloatArray:
    """:func:`psi` of shares already smoothed (reference ``p``, current ``q``)."""
    out: FloatArray = np.sum((q - p) * np.log(q / p), axis=-1)
    return out


def kl_divergence(
    ref_counts: FloatArray, cur_counts: FloatArray, smoothing: float = KL_SMOOTHING
) -> FloatArray:
    """KL(current || reference) in nats, on shares smoothed by ``smoothing`` counts per bin.

    >>> float(kl_divergence(np.array([10.0, 10.0]), np.array([10.0, 10.0])))
    0.0
    """
    return kl_of_shares(shares(ref_counts, smoothing), shares(cur_counts, smoothing))


def kl_of_shares(p: FloatArray, q: FloatArray) -> FloatArray:
    """:func:`kl_divergence` of shares already smoothed (reference ``p``, current ``q``)."""
    out: FloatArray = np.sum(q * np.log(q / p), axis=-1)
    return out


def js_distance(ref_counts: FloatArray, cur_counts: FloatArray) -> FloatArray:
    """Jensen-Shannon distance, base 2 (the square root of the divergence; 0..1).

    >>> float(js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    1.0
    """
    return js_of_shares(shares(ref_counts), shares(cur_counts))


def js_of_shares(p: FloatArray, q: FloatArray) -> FloatArray:
    """:func:`js_distance` of shares (reference ``p``, current ``q``)."""
    m = 0.5 * (p + q)
    with np.errstate(divide="ignore", invalid="ignore"):
        kp = np.where(p > 0, p * np.log2(p / m), 0.0)
        kq = np.where(q > 0, q * np.log2(q / m), 0.0)
    div = 0.5 * (kp.sum(axis=-1) + kq.sum(axis=-1))
    out: FloatArray = np.sqrt(np.clip(div, 0.0, 1.0))
    return out


def chi2_statistic(ref_counts: FloatArray, cur_counts: FloatArray) -> FloatArray:
    """Pearson chi-squared statistic of the 2 x k table (reference, current) over non-empty bins."""
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    r, c = np.broadcast_arrays(r, c)
    col = r + c
    nr = r.sum(axis=-1, keepdims=True)
    nc = c.sum(axis=-1, keepdims=True)
    total = nr + nc
    with np.errstate(divide="ignore", invalid="ignore"):
        er = col * nr / total
        ec = col * nc / total
        term = np.where(col > 0, (r - er) ** 2 / er + (c - ec) ** 2 / ec, 0.0)
    out: FloatArray = term.sum(axis=-1)
    return out


def linf_distance(ref_counts: FloatArray, cur_counts: FloatArray) -> FloatArray:
    """Largest absolute change of any bin's share."""
    return linf_of_shares(shares(ref_counts), shares(cur_counts))


def linf_of_shares(p: FloatArray, q: FloatArray) -> FloatArray:
    """:func:`linf_distance` of shares (reference ``p``, current ``q``)."""
    out: FloatArray = np.max(np.abs(q - p), axis=-1)
    return out


def ks_distance(ref_counts: FloatArray, cur_counts: FloatArray) -> FloatArray:
    """Kolmogorov-Smirnov D on ordered bins: the largest CDF gap at a bin edge.

    On data binned at fixed edges this is a lower bound of the raw-data D that misses it by
    at most the largest bin share.
    """
    return ks_of_shares(shares(ref_counts), shares(cur_counts))


def ks_of_shares(p: FloatArray, q: FloatArray) -> FloatArray:
    """:func:`ks_distance` of shares (reference ``p``, current ``q``)."""
    gap = np.cumsum(q - p, axis=-1)
    out: FloatArray = np.max(np.abs(gap), axis=-1)
    return out


def wasserstein_binned(
    ref_counts: FloatArray, cur_counts: FloatArray, bin_edges: FloatArray
) -> FloatArray:
    """Wasserstein-1 distance between two piecewise-uniform densities on the same bins.

    ``bin_edges`` has one more entry than the bins. Within a bin both CDFs are linear, so the
    integral of |F_ref - F_cur| is exact for that model: it is a trapezoid when the gap keeps
    its sign and two triangles when it crosses zero.

    >>> edges = np.array([0.0, 1.0, 2.0])
    >>> float(wasserstein_binned(np.array([1.0, 0.0]), np.array([0.0, 1.0]), edges))
    1.0
    """
    return wasserstein_of_shares(shares(ref_counts), shares(cur_counts), bin_edges)


def wasserstein_of_shares(p: FloatArray, q: FloatArray, bin_edges: FloatArray) -> FloatArray:
    """:func:`wasserstein_binned` of shares (reference ``p``, current ``q``)."""
    gap = np.cumsum(q - p, axis=-1)
    zero = np.zeros((*gap.shape[:-1], 1))
    left = np.concatenate([zero, gap[..., :-1]], axis=-1)
    right = gap
    width = np.diff(np.asarray(bin_edges, dtype=np.float64), axis=-1)
    a, b = np.abs(left), np.abs(right)
    same_sign = left * right >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where(a + b > 0, (a * a + b * b) / (2.0 * (a + b)), 0.0)
    area = np.where(same_sign, 0.5 * (a + b), crossing) * width
    out: FloatArray = area.sum(axis=-1)
    return out
