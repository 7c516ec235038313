"""The change point lands within one window of an injected onset; its statistic matches numpy."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import reference, window

from redline.forensics.attribution import baseline_of
from redline.forensics.blame import drift_series, locate_shift
from redline.forensics.changepoint import find_change_point, split_gains


def _brute_force_gains(x: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
    """Two-segment least-squares gain for every split, the slow way."""
    sse = lambda v: float(((v - v.mean()) ** 2).sum())  # noqa: E731
    out = []
    for k in range(1, x.size):
        gain = sse(x) - sse(x[:k]) - sse(x[k:])
        out.append(gain if x[k:].mean() >= x[:k].mean() else -gain)
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
def test_split_gains_match_the_least_squares_oracle(seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=30)
    np.testing.assert_allclose(split_gains(x), _brute_force_gains(x), atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_a_noisy_step_is_found_within_one_point(seed: int) -> None:
    rng = np.random.default_rng(seed)
    onset = int(rng.integers(4, 16))
    x = rng.normal(0.0, 0.3, 20)
    x[onset:] += 1.0
    point = find_change_point(x)
    assert point is not None
    assert abs(point.onset - onset) <= 1
    assert point.p_value < 0.05


def test_no_order_no_significance() -> None:
    x = np.random.default_rng(11).normal(size=20)
    point = find_change_point(x)
    assert point is None or point.p_value > 0.01
    assert find_change_point([1.0, 2.0]) is None
    assert find_change_point([3.0, 2.0, 1.0]) is None  # only downward


@pytest.fixture(scope="module")
def ref():  # type: ignore[no-untyped-def]
    return reference()


@pytest.mark.parametrize("seed", range(4))
def test_onset_in_the_stored_window_series(ref, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(100 + seed)
    onset = int(rng.integers(3, 9))
    windows = [
        window(ref, rng, i, n=600, shifts={"x2": 0.6} if i >= onset else None) for i in range(12)
    ]
    found = locate_shift(ref, windows)
    assert abs(found["onset"] - onset) <= 1
    assert found["isolation"]["features"][0]["feature"] == "x2"
    series = drift_series(baseline_of(ref, []), windows)
    assert np.mean(series[onset:]) > np.mean(series[:onset])


@pytest.mark.parametrize("seed", range(3))
def test_onset_without_a_stored_reference(ref, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(200 + seed)
    onset = 7
    windows = [
        window(ref, rng, i, n=800, shifts={"x4": 0.7} if i >= onset else None) for i in range(12)
    ]
    found = locate_shift(None, windows)
    assert abs(found["onset"] - onset) <= 1
    assert "earliest" in found["baseline"]
