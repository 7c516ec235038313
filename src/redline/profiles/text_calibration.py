"""Thresholds of a token sketch's JS distance, calibrated on windows of reference texts.

The tokens of one text are not independent draws (a text about asyncio repeats "await"), so a
multinomial bootstrap over tokens would understate the noise. Instead whole texts are drawn:
each draw holds out ``w`` distinct reference texts as the window and compares them with the
rest of the reference. The rest is ``w`` texts smaller than the real reference, which errs on
the quiet side. Draws are taken up to a fixed budget of tokens summed and at most 2,000 per
size; a quantile further out than 25 of them reach is extrapolated as in
:func:`redline.profiles.calibration.tail_quantile` (an exponential tail: quiet side again).

Past ``max_bootstrap`` texts (or half the reference) the threshold is scaled from the largest
bootstrapped size ``w0``: for counts this large the squared distance is a quadratic form in
share differences whose variance goes as ``1/w + 1/n``, so the quantile scales by
``sqrt((1/w + 1/n) / (1/w0 + 1/(n - w0)))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.profiles.calibration import tail_quantile
from redline.profiles.stats import js_distance
from redline.profiles.tokens import TokenBatch

__all__ = ["calibrate_text"]

FloatArray = NDArray[np.float64]

#: Tokens summed over all draws of one window size (about a second of sparse products).
_TOKEN_BUDGET = 30_000_000
_MIN_DRAWS = 500
#: Each draw is scored on every bucket; past this many the tail is extrapolated instead.
_MAX_DRAWS = 2_000
_EXCEEDANCES = 25
_CHUNK_DRAWS = 200


def _row_matrix(batch: TokenBatch, n_buckets: int) -> Any:
    """Texts x buckets token counts (sparse)."""
    from scipy import sparse

    ones = np.ones(batch.buckets.size, dtype=np.float64)
    shape = (batch.n_texts, n_buckets)
    return sparse.csr_matrix((ones, (batch.rows, batch.buckets)), shape=shape)


def _draws(
    rows: Any, total: FloatArray, w: int, n_draws: int, rng: np.random.Generator
) -> FloatArray:
    """Sorted JS distances of ``n_draws`` held-out windows of ``w`` texts against the rest."""
    from scipy import sparse

    n = int(rows.shape[0])
    out = []
    for start in range(0, n_draws, _CHUNK_DRAWS):
        size = min(_CHUNK_DRAWS, n_draws - start)
        picks = np.concatenate([rng.choice(n, size=w, replace=False) for _ in range(size)])
        select = sparse.csr_matrix(
            (np.ones(picks.size), picks, np.arange(0, picks.size + 1, w)), shape=(size, n)
        )
        window = np.asarray((select @ rows).todense(), dtype=np.float64)
        out.append(js_distance(total - window, window))
    return np.sort(np.concatenate(out))


def calibrate_text(
    batch: TokenBatch,
    n_buckets: int,
    *,
    window_sizes: Sequence[int],
    quantile: float,
    seed: int = 0,
    max_bootstrap: int = 3_000,
) -> list[float]:
    """The ``quantile`` of the no-drift JS distance for windows of each size (in texts).

    Examples
    --------
    >>> from redline.profiles.tokens import hash_tokens
    >>> rng = np.random.default_rng(0)
    >>> words = np.array(["cat", "dog", "fox", "hen", "owl", "yak"])
    >>> texts = [" ".join(rng.choice(words, 8)) for _ in range(2_000)]
    >>> t = calibrate_text(hash_tokens(texts, 64), 64, window_sizes=[100, 300, 10_000],
    ...                    quantile=0.99)
    >>> t[0] > t[1] > t[2] > 0
    True
    """
    n = batch.n_texts
    if n < 4:
        return []
    rows = _row_matrix(batch, n_buckets)
    total = np.bincount(batch.buckets, minlength=n_buckets).astype(np.float64)
    tokens_per_text = max(batch.buckets.size / n, 1.0)
    cap = max(1, min(max_bootstrap, n // 2))
    sizes = sorted({int(w) for w in window_sizes})
    boot = sorted({min(w, cap) for w in sizes})
    tail = 1.0 - quantile
    rng = np.random.default_rng(seed)
    found: dict[int, float] = {}
    for w in boot:
        wanted = math.ceil(_EXCEEDANCES / tail) if tail > 0 else _MIN_DRAWS
        affordable = int(_TOKEN_BUDGET / (w * tokens_per_text))
        n_draws = max(_MIN_DRAWS, min(wanted, affordable, _MAX_DRAWS))
        found[w] = tail_quantile(_draws(rows, total, w, n_draws, rng), tail)
    return [_scaled(found, w, n, cap) for w in (int(x) for x in window_sizes)]


def _scaled(found: dict[int, float], w: int, n: int, cap: int) -> float:
    """The bootstrapped threshold of ``w``, or the largest one's scaled to ``w``."""
    if w in found:
        return round(found[w], 9)
    w0 = cap
    factor = math.sqrt((1.0 / w + 1.0 / n) / (1.0 / w0 + 1.0 / (n - w0)))
    return round(found[w0] * factor, 9)
