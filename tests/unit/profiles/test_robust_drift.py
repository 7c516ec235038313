"""One extreme value, in the window or in the reference, cannot blow up the numeric statistic."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from scipy import stats as sps

import redline
from redline.monitors.report import check
from redline.profiles.drift import numeric_statistics
from redline.profiles.reference import Reference
from redline.profiles.specs import NumericSpec
from redline.profiles.states import NumericState
from redline.profiles.window import WindowProfile

N_REF = 20_000
N_WINDOW = 1_000
OUTLIER = 1e9


def _features(rng: np.random.Generator, n: int, shift: float = 0.0) -> dict[str, np.ndarray]:
    out = {f"z{i}": rng.normal(size=n) for i in range(9)}
    out["x"] = rng.normal(shift, 1.0, size=n)
    return out


@cache
def _reference(outlier_in_reference: bool) -> Reference:
    data = _features(np.random.default_rng(11), N_REF)
    if outlier_in_reference:
        data["x"][123] = OUTLIER
    return redline.fit_reference(data)


def _x(reference: Reference) -> NumericSpec:
    spec = reference.columns["x"]
    assert isinstance(spec, NumericSpec)
    return spec


def _w_norm(reference: Reference, values: np.ndarray) -> float:
    state = WindowProfile.of(reference, {"x": values}).columns["x"]
    assert isinstance(state, NumericState)
    return numeric_statistics(_x(reference), state)["wasserstein_norm"]


@pytest.mark.parametrize("distribution", ["normal", "lognormal", "uniform", "exponential"])
def test_scale_is_the_interquartile_range_over_1349(distribution: str) -> None:
    rng = np.random.default_rng(5)
    x = getattr(rng, distribution)(size=50_000)
    spec = redline.fit_reference({"x": x}, window_sizes=[1_000]).columns["x"]
    assert isinstance(spec, NumericSpec)
    expected = sps.iqr(x) / (2 * sps.norm.ppf(0.75))
    assert spec.scale == pytest.approx(expected, rel=0.01)


def test_scale_and_fence_ignore_one_extreme_reference_value() -> None:
    clean, dirty = _x(_reference(False)), _x(_reference(True))
    assert dirty.std > 1_000 * clean.std
    assert dirty.scale == pytest.approx(clean.scale, rel=0.01)
    assert dirty.fence == pytest.approx(clean.fence, rel=0.02)
    low, high = clean.fence
    assert -6.0 < low < -4.0 < 4.0 < high < 6.0


def test_a_binary_column_keeps_both_values_inside_its_fence() -> None:
    x = (np.random.default_rng(6).random(10_000) < 0.05).astype(float)
    spec = redline.fit_reference({"x": x}, window_sizes=[1_000]).columns["x"]
    assert isinstance(spec, NumericSpec)
    low, high = spec.fence
    assert low <= 0.0
    assert high >= 1.0
    assert spec.scale > 0


@pytest.mark.parametrize("outlier_in_reference", [False, True])
def test_one_extreme_window_value_moves_w_norm_by_a_bounded_amount(
    outlier_in_reference: bool,
) -> None:
    ref = _reference(outlier_in_reference)
    spec = _x(ref)
    low, high = spec.fence
    y = np.random.default_rng(12).normal(size=N_WINDOW)
    base = _w_norm(ref, y)
    for extreme in (OUTLIER, -OUTLIER, 1e300):
        z = y.copy()
        z[0] = extreme
        # Moving one value anywhere within the fence moves W by at most its span / n.
        assert abs(_w_norm(ref, z) - base) <= (high - low) / spec.scale / N_WINDOW
    assert base < max(spec.thresholds["wasserstein_norm"])


@pytest.mark.parametrize("outlier_in_reference", [False, True])
def test_a_half_sd_shift_with_one_extreme_value_is_detected_at_1000_rows(
    outlier_in_reference: bool,
) -> None:
    ref = _reference(outlier_in_reference)
    current = _features(np.random.default_rng(13), N_WINDOW)
    current["x"] = np.random.default_rng(14).normal(0.5, 1.0, size=N_WINDOW)
    current["x"][7] = OUTLIER
    report = check(ref, current)
    assert report.drifted_columns == ["x"]
    (x,) = [c for c in report.columns if c.name == "x"]
    assert x.value == pytest.approx(0.5, rel=0.2)
    assert x.threshold < 0.2


@pytest.mark.parametrize("outlier_in_reference", [False, True])
def test_no_shift_with_one_extreme_value_is_not_drift(outlier_in_reference: bool) -> None:
    ref = _reference(outlier_in_reference)
    flagged = 0
    for seed in range(20):
        current = _features(np.random.default_rng(100 + seed), N_WINDOW)
        current["x"][seed] = OUTLIER
        flagged += "x" in check(ref, current).drifted_columns
    assert flagged == 0
