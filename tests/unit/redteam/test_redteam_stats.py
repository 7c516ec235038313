"""Bootstrap intervals for success rates against scipy.stats.bootstrap on the same outcomes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from redline.redteam.stats import bootstrap_rate_ci


@pytest.mark.parametrize(("successes", "attempts"), [(3, 20), (1, 46), (7, 9), (12, 30), (25, 50)])
@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_interval_matches_scipy_percentile_bootstrap(
    successes: int, attempts: int, confidence: float
) -> None:
    outcomes = np.array([1.0] * successes + [0.0] * (attempts - successes))
    oracle = stats.bootstrap(
        (outcomes,),
        np.mean,
        method="percentile",
        confidence_level=confidence,
        n_resamples=20_000,
        random_state=np.random.default_rng(7),
    ).confidence_interval
    low, high = bootstrap_rate_ci(successes, attempts, confidence=confidence, n_resamples=20_000)
    # Rates move in steps of 1/attempts: two independent bootstraps agree within one step.
    step = 1 / attempts
    assert low == pytest.approx(oracle.low, abs=step + 1e-9)
    assert high == pytest.approx(oracle.high, abs=step + 1e-9)
    assert low <= successes / attempts <= high


def test_all_or_nothing_gives_a_zero_width_interval() -> None:
    assert bootstrap_rate_ci(0, 12) == (0.0, 0.0)
    assert bootstrap_rate_ci(12, 12) == (1.0, 1.0)


def test_no_attempts_give_nan_and_the_seed_makes_it_reproducible() -> None:
    assert all(math.isnan(v) for v in bootstrap_rate_ci(0, 0))
    assert bootstrap_rate_ci(4, 30, seed=3) == bootstrap_rate_ci(4, 30, seed=3)


def test_more_attempts_narrow_the_interval() -> None:
    small = bootstrap_rate_ci(2, 10)
    large = bootstrap_rate_ci(200, 1000)
    assert large[1] - large[0] < small[1] - small[0]


@pytest.mark.parametrize(
    ("successes", "attempts", "confidence"), [(5, 3, 0.95), (-1, 3, 0.95), (1, 3, 1.0)]
)
def test_impossible_counts_are_rejected(successes: int, attempts: int, confidence: float) -> None:
    with pytest.raises(ValueError, match=r"successes|confidence"):
        bootstrap_rate_ci(successes, attempts, confidence=confidence)
