"""Thresholds of two-category columns against the exact null computed with scipy.stats.binom."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats as sps

import redline
from redline.monitors.report import check
from redline.profiles.calibration import calibrate_thresholds
from redline.profiles.stats import js_distance

FloatArray = NDArray[np.float64]

N_REF = 20_000
RATE = 0.24
SIZES = (100, 1_000, 10_000)
#: alpha = 0.01 shared by ten columns: each column's false-alarm budget per window.
TAIL = 0.01 / 10


def _support(n: int, p: float) -> tuple[FloatArray, FloatArray]:
    """Counts within 9 sd of the mean and their binomial probabilities."""
    sd = np.sqrt(n * p * (1 - p))
    k = np.arange(max(0, int(n * p - 9 * sd)), min(n, int(n * p + 9 * sd)) + 1)
    return k.astype(np.float64), sps.binom.pmf(k, n, p)


def _exact_null(n_ref: int, w: int, p: float) -> tuple[FloatArray, FloatArray]:
    """Every value of JS(reference, window) for two independent binomial samples, with its
    probability, sorted by value."""
    r, pr = _support(n_ref, p)
    c, pc = _support(w, p)
    ref = np.stack([n_ref - r, r], axis=-1)[:, None, :]
    cur = np.stack([w - c, c], axis=-1)[None, :, :]
    values = js_distance(*np.broadcast_arrays(ref, cur)).ravel()
    weights = (pr[:, None] * pc[None, :]).ravel()
    order = np.argsort(values, kind="stable")
    return values[order], weights[order]


def _exceedance(values: FloatArray, weights: FloatArray, threshold: float) -> float:
    return float(weights[values > threshold].sum())


def _exact_quantile(values: FloatArray, weights: FloatArray, tail: float) -> float:
    """The smallest value the statistic exceeds with probability at most ``tail``."""
    survival = 1.0 - np.cumsum(weights)
    return float(values[np.argmax(survival <= tail)])


def _calibrated(seed: int) -> list[float]:
    counts = np.array([N_REF * (1 - RATE), N_REF * RATE])
    return calibrate_thresholds(
        js_distance, counts, n_ref=N_REF, window_sizes=SIZES, quantile=1 - TAIL, seed=seed
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_category_thresholds_keep_false_alarms_within_budget(seed: int) -> None:
    for w, threshold in zip(SIZES, _calibrated(seed), strict=True):
        values, weights = _exact_null(N_REF, w, RATE)
        assert _exceedance(values, weights, threshold) <= TAIL, w


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_category_thresholds_are_close_to_the_exact_quantile(seed: int) -> None:
    for w, threshold in zip(SIZES, _calibrated(seed), strict=True):
        exact = _exact_quantile(*_exact_null(N_REF, w, RATE), TAIL)
        assert exact <= threshold <= 1.15 * exact, (w, threshold, exact)


def _binary_data(rng: np.random.Generator, n: int, rate: float) -> dict[str, object]:
    data: dict[str, object] = {f"z{i}": rng.normal(size=n) for i in range(19)}
    positive = np.zeros(n, dtype=bool)
    positive[: round(rate * n)] = True
    data["positive"] = np.where(rng.permutation(positive), "yes", "no")
    return data


def test_a_positive_rate_falling_from_024_to_013_is_flagged_at_1000_rows() -> None:
    # Twenty columns: a log-normal tail model puts this threshold at 0.138, over the shift's
    # JS of 0.121; the exact 1 - 0.01/20 quantile is 0.05, so the 0.1 floor decides.
    reference = redline.fit_reference(_binary_data(np.random.default_rng(1), N_REF, RATE))
    current = _binary_data(np.random.default_rng(2), 1_000, 0.13)
    report = check(reference, current)
    assert report.drifted_columns == ["positive"]
