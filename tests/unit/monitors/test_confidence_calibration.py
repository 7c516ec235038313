"""Confidence drops on skewed confidence: the noise bound holds the false-alarm budget at w=100."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from scipy.special import ndtri

import redline
from redline.monitors.confidence import ConfidenceMonitor, drop_quantile_sd
from redline.profiles.reference import Reference
from redline.profiles.specs import NumericSpec
from redline.profiles.window import WindowProfile

N_REF, ALPHA = 20_000, 0.001
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _draw(rng: np.random.Generator, n: int) -> np.ndarray:
    """Confident rows near 1 and 1% of confused ones at 0.1: a long lower tail."""
    return np.where(rng.random(n) < 0.01, 0.1, rng.uniform(0.98, 1.0, n))


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(1)
    data = {"x": rng.normal(size=N_REF), "conf": _draw(rng, N_REF)}
    return redline.fit_reference(data, confidence="conf", window_sizes=[100, 1_000])


def _null_rate(reference: Reference, w: int, threshold: float, windows: int = 200_000) -> float:
    spec = reference.columns["conf"]
    assert isinstance(spec, NumericSpec)
    rng = np.random.default_rng(2)
    means = _draw(rng, windows * w).reshape(windows, w).mean(axis=1)
    return float(np.mean((spec.mean - means) / spec.std > threshold))


DRAWS = {
    "beta(8,2)": lambda rng, n: rng.beta(8, 2, n),
    "beta(20,1)": lambda rng, n: rng.beta(20, 1, n),
    "3% at 0.2": lambda rng, n: np.where(rng.random(n) < 0.03, 0.2, rng.uniform(0.95, 1.0, n)),
    "1% at 0.1": _draw,
}


@pytest.mark.parametrize("name", DRAWS)
def test_the_bound_matches_raw_reference_windows(name: str) -> None:
    draw = DRAWS[name]
    rng = np.random.default_rng(3)
    ref = redline.fit_reference({"conf": draw(rng, N_REF)}, confidence="conf", window_sizes=[100])
    spec = ref.columns["conf"]
    assert isinstance(spec, NumericSpec)
    raw = (spec.mean - draw(rng, 200_000 * 100).reshape(-1, 100).mean(axis=1)) / spec.std
    oracle = float(np.quantile(raw, 1 - ALPHA)) * math.sqrt(1 + 100 / spec.n)
    # Short would mean false alarms over budget; long, lost power. Mid-points were 25% short.
    assert 0.92 * oracle <= drop_quantile_sd(spec, 100, ALPHA) <= 1.2 * oracle


@pytest.mark.parametrize("w", [100, 300])
def test_skewed_confidence_stays_within_the_budget(reference: Reference, w: int) -> None:
    spec = reference.columns["conf"]
    assert isinstance(spec, NumericSpec)
    normal = max(float(ndtri(1 - ALPHA)) * math.sqrt(1 / w + 1 / spec.n), 0.25)
    calibrated = max(normal, drop_quantile_sd(spec, w, ALPHA))
    assert _null_rate(reference, w, calibrated) <= 1.5 * ALPHA
    if w == 100:
        assert _null_rate(reference, w, normal) > 3 * ALPHA  # what the normal bound alone gave


def test_the_monitor_uses_the_bound_and_still_sees_a_real_drop(reference: Reference) -> None:
    monitor = ConfidenceMonitor(reference)
    rng = np.random.default_rng(4)

    def window(conf: np.ndarray, i: int) -> WindowProfile:
        start = T0 + timedelta(minutes=i)
        empty = WindowProfile.empty(reference, start=start, end=start + timedelta(minutes=1))
        return empty.fold(reference, {"x": rng.normal(size=conf.size), "conf": conf})

    fired = sum(bool(monitor.update(window(_draw(rng, 100), i)).signals) for i in range(2_000))
    assert fired <= 4  # 2 expected at alpha = 0.001
    confused = np.where(rng.random(100) < 0.15, 0.1, rng.uniform(0.98, 1.0, 100))
    (signal,) = monitor.update(window(confused, 2_001)).signals
    spec = reference.columns["conf"]
    assert isinstance(spec, NumericSpec)
    assert signal.threshold == pytest.approx(drop_quantile_sd(spec, 98, ALPHA), rel=0.05)
    assert monitor.clone().params() == monitor.params()
