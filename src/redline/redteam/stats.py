"""Bootstrap confidence intervals for attack success rates."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["bootstrap_rate_ci"]


def bootstrap_rate_ci(
    successes: int,
    attempts: int,
    *,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval for a success rate (NaNs when there are no attempts).

    Resampling ``attempts`` Bernoulli outcomes with replacement gives a success count that is
    Binomial(attempts, successes / attempts), so the resamples are drawn from it directly:
    the same distribution as resampling the outcomes, in O(n_resamples) instead of
    O(n_resamples · attempts). All successes or none gives a zero-width interval, as any
    percentile bootstrap does.

    Parameters
    ----------
    successes, attempts
        The observed count of successful attacks and of judged attempts.
    confidence
        Coverage of the two-sided interval.
    n_resamples
        Bootstrap resamples.
    seed
        Seed of the generator, so a report is reproducible.

    Returns
    -------
    tuple of float
        The lower and upper bounds of the interval.

    Examples
    --------
    >>> low, high = bootstrap_rate_ci(3, 20)
    >>> bool(low < 3 / 20 < high)
    True
    >>> bootstrap_rate_ci(0, 20)
    (0.0, 0.0)
    """
    if not 0 <= successes <= attempts:
        raise ValueError(f"need 0 ≤ successes ≤ attempts, got {successes} of {attempts}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if attempts == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    rates = rng.binomial(attempts, successes / attempts, size=n_resamples) / attempts
    alpha = (1 - confidence) / 2
    low, high = np.quantile(rates, [alpha, 1 - alpha])
    return float(low), float(high)
