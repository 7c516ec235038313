"""Integrity thresholds follow the window size: no-change windows stay under the false-alarm
budget at every size and cardinality, while remaps and rate jumps that matter are caught."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

import redline
from redline.domain import Level
from redline.monitors.integrity import IntegrityMonitor
from redline.monitors.integrity_rates import RateCheck, judge_rate
from redline.profiles.integrity_calibration import (
    mapping_statistics,
    rate_limit,
    unswapped_counts,
)
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec
from redline.profiles.window import WindowProfile

SIZES = (100, 1_000, 10_000)
N_REF = 100_000


def _zipf(k: int) -> np.ndarray:
    p = 1.0 / np.arange(1, k + 1)
    return p / p.sum()


def _labels(k: int) -> np.ndarray:
    return np.array([f"v{i:03d}" for i in range(k)], dtype=object)


@pytest.fixture(scope="module", params=[2, 20, 91, 500], ids=lambda k: f"k{k}")
def categorical(request: pytest.FixtureRequest) -> tuple[int, Reference]:
    """A reference fitted on 100k draws of one Zipf-distributed column of ``k`` labels."""
    k = int(request.param)
    rng = np.random.default_rng(k)
    rows = {"c": rng.choice(_labels(k), size=N_REF, p=_zipf(k))}
    return k, redline.fit_reference(rows, window_sizes=SIZES, max_categories=k)


def _null_counts(spec: CategoricalSpec, k: int, w: int, n: int, seed: int) -> np.ndarray:
    """``n`` no-change windows of ``w`` rows as counts on the reference's vocabulary + other."""
    p = dict(zip(_labels(k), _zipf(k), strict=True))
    shares = np.array([p[v] for v in spec.vocab] + [0.0])
    rng = np.random.default_rng(seed)
    return rng.multinomial(w, shares / shares.sum(), size=n).astype(np.float64)


@pytest.mark.parametrize("w", SIZES)
def test_mapping_error_false_alarms_stay_within_budget(
    categorical: tuple[int, Reference], w: int
) -> None:
    k, ref = categorical
    spec = ref.columns["c"]
    assert isinstance(spec, CategoricalSpec)
    monitor = IntegrityMonitor(ref, min_mapping_js=0.0, max_sorted_js=1.0)
    min_js, max_sorted = monitor.mapping_limits("c", w)
    n = 4_000 if k == 500 else 10_000
    counts = _null_counts(spec, k, w, n, seed=k * w)
    labelled, ordered = mapping_statistics(np.broadcast_to(spec.counts, counts.shape), counts)
    alarms = int(np.count_nonzero((labelled > min_js) & (ordered < max_sorted)))
    # Exactly calibrated at 1/1,000, more than this happens with probability 1e-4.
    assert alarms <= stats.poisson.isf(1e-4, n * monitor.alpha), (k, w, alarms, min_js)
    # The limit is not simply huge: half the budget's quantile would be crossed far more often.
    assert np.quantile(labelled, 0.95) > 0.5 * min_js


def test_the_null_quantile_shrinks_with_the_window_and_grows_with_cardinality(
    categorical: tuple[int, Reference],
) -> None:
    _, ref = categorical
    limits = [IntegrityMonitor(ref, min_mapping_js=0.0).mapping_limits("c", w)[0] for w in SIZES]
    assert limits[0] > limits[1] > limits[2] > 0
    between = IntegrityMonitor(ref, min_mapping_js=0.0).mapping_limits("c", 3_000)[0]
    assert limits[1] > between > limits[2]


def test_a_reference_fitted_without_the_mapping_calibration_gets_the_same_limits(
    categorical: tuple[int, Reference],
) -> None:
    _, ref = categorical
    spec = ref.columns["c"]
    kept = {k: v for k, v in spec.thresholds.items() if not k.startswith("mapping.")}
    assert len(kept) < len(spec.thresholds)
    old = replace(ref, columns={"c": replace(spec, thresholds=kept)})
    for w in (80, 1_000, 50_000):
        expected = IntegrityMonitor(ref, min_mapping_js=0.0).mapping_limits("c", w)
        assert IntegrityMonitor(old, min_mapping_js=0.0).mapping_limits("c", w) == expected


def _remap(rows: np.ndarray, a: str, b: str) -> np.ndarray:
    out = rows.copy()
    out[rows == a], out[rows == b] = b, a
    return out


@pytest.mark.parametrize(("k", "swap"), [(2, (0, 1)), (20, (0, 3)), (91, (0, 9))])
def test_a_remap_of_two_labels_is_an_alarm_at_1000_rows(k: int, swap: tuple[int, int]) -> None:
    rng = np.random.default_rng(7)
    p = _zipf(k) if k > 2 else np.array([0.7, 0.3])
    labels = _labels(k)
    # Beside it, a column of many labels whose noise alone crossed the old fixed threshold.
    many, flat = _labels(50), _zipf(50) ** 0.5 / np.sum(_zipf(50) ** 0.5)
    ref = redline.fit_reference(
        {"c": rng.choice(labels, N_REF, p=p), "d": rng.choice(many, N_REF, p=flat)},
        window_sizes=SIZES,
        max_categories=max(k, 50),
    )
    monitor = IntegrityMonitor(ref)
    hits = 0
    for _ in range(50):
        c, d = rng.choice(labels, 1_000, p=p), rng.choice(many, 1_000, p=flat)
        window = WindowProfile.of(ref, {"c": _remap(c, labels[swap[0]], labels[swap[1]]), "d": d})
        found = [s for s in monitor.update(window).signals if s.kind == "mapping_error"]
        assert all(s.column == "c" and s.level == Level.ALARM for s in found)
        hits += bool(found)
    assert hits >= 48


def test_a_remap_in_a_small_window_is_only_a_warning() -> None:
    rng = np.random.default_rng(8)
    labels = _labels(3)
    ref = redline.fit_reference(
        {"c": rng.choice(labels, N_REF, p=[0.6, 0.3, 0.1])}, window_sizes=SIZES
    )
    rows = _remap(rng.choice(labels, 300, p=[0.6, 0.3, 0.1]), labels[0], labels[2])
    (signal,) = IntegrityMonitor(ref).update(WindowProfile.of(ref, {"c": rows})).signals
    assert (signal.kind, signal.level) == ("mapping_error", Level.WARNING)
    assert signal.value > signal.threshold


@pytest.mark.parametrize(
    ("n", "p", "alpha"), [(100, 0.3, 1e-3), (1_000, 0.02, 1e-4), (100_000, 0.05, 1e-6)]
)
def test_rate_limit_is_the_binomial_quantile_for_a_large_reference(
    n: int, p: float, alpha: float
) -> None:
    n_ref = 1e9
    limit = rate_limit(n, count_ref=p * n_ref, n_ref=n_ref, alpha=alpha)
    assert limit == stats.binom.isf(alpha, n, p)
    assert stats.binom.sf(limit, n, p) <= alpha < stats.binom.sf(limit - 1, n, p)


@pytest.mark.parametrize(("n", "k_ref", "n_ref"), [(100, 3, 300), (1_000, 50, 2_000), (500, 0, 80)])
def test_rate_limit_with_a_small_reference_is_the_beta_binomial_quantile(
    n: int, k_ref: int, n_ref: int
) -> None:
    limit = rate_limit(n, count_ref=k_ref, n_ref=n_ref, alpha=1e-3)
    a, b = k_ref + 0.5, n_ref - k_ref + 0.5
    assert stats.betabinom.sf(limit, n, a, b) <= 1e-3 < stats.betabinom.sf(limit - 1, n, a, b)
    assert limit > stats.binom.isf(1e-3, n, a / (a + b))  # the reference's own noise counts


def test_out_of_range_counts_of_continuous_data_are_calibrated() -> None:
    rng = np.random.default_rng(9)
    n_ref, w, trials, alpha = 300, 100, 20_000, 0.01
    ref = rng.normal(size=(trials, n_ref))
    cur = rng.normal(size=(trials, w))
    outside = (cur < ref.min(axis=1, keepdims=True)) | (cur > ref.max(axis=1, keepdims=True))
    limit = rate_limit(w, count_ref=1.5, n_ref=n_ref, alpha=alpha)
    exact = stats.betabinom.sf(limit, w, 2, n_ref - 1)
    rate = float(np.mean(outside.sum(axis=1) > limit))
    assert exact <= alpha
    assert rate == pytest.approx(exact, abs=4 * np.sqrt(exact / trials) + 1e-4)


def test_null_rates_under_the_floor_never_reach_the_test() -> None:
    quiet = RateCheck("null_jump", "null_share_jump", 140, 1_000, 1e5, 1e6, 0.1)
    assert judge_rate(quiet, floor=0.05, alpha=1e-3) is None
    check = RateCheck("null_jump", "null_share_jump", 200, 1_000, 1e5, 1e6, 0.1)
    critical = stats.binom.isf(1e-3, 1_000, (1e5 + 0.5) / (1e6 + 1))
    assert judge_rate(check, floor=0.05, alpha=1e-3) == pytest.approx(
        max(0.05, critical / 1_000 - 0.1)
    )


def test_a_null_jump_of_ten_points_at_1000_rows_is_caught_and_its_noise_is_not() -> None:
    rng = np.random.default_rng(10)
    x = rng.normal(size=N_REF)
    x[rng.random(N_REF) < 0.05] = np.nan
    ref = redline.fit_reference({"x": x, "y": rng.normal(size=N_REF)}, window_sizes=SIZES)
    monitor = IntegrityMonitor(ref)
    for extra, expected in ((0.10, True), (0.0, False)):
        for _ in range(20):
            rows = rng.normal(size=1_000)
            rows[rng.random(1_000) < 0.05 + extra] = np.nan
            signals = monitor.update(WindowProfile.of(ref, {"x": rows, "y": rows})).signals
            jumps = [s for s in signals if s.kind == "null_jump" and s.column == "x"]
            assert bool(jumps) is expected
            # Tested at the Bonferroni share of each of the two numeric columns.
            assert all(s.evidence["alpha"] == pytest.approx(0.0005) for s in jumps)
            assert all(s.value > s.threshold >= 0.05 for s in jumps)


def test_rate_false_alarms_on_small_windows_stay_within_budget() -> None:
    rng = np.random.default_rng(11)
    p, n_ref, w, trials, alpha = 0.1, 2_000, 100, 20_000, 1e-3
    count_ref = rng.binomial(n_ref, p, size=trials)
    counts = rng.binomial(w, p, size=trials)
    over_floor = counts / w - count_ref / n_ref > 0.05
    alarms = 0
    for c, k in zip(counts[over_floor], count_ref[over_floor], strict=True):
        check = RateCheck("null_jump", "null_share_jump", int(c), w, float(k), n_ref, k / n_ref)
        alarms += judge_rate(check, floor=0.05, alpha=alpha) is not None
    assert over_floor.mean() > 0.05  # the floor alone would fire in over 5% of windows
    assert alarms <= stats.poisson.isf(1e-4, trials * alpha)


@pytest.mark.parametrize(("null_share", "level"), [(0.3, Level.ALARM), (0.08, Level.WARNING)])
def test_a_breach_on_a_fifth_of_the_rows_is_an_alarm_at_once(
    null_share: float, level: Level
) -> None:
    rng = np.random.default_rng(2)
    reference = redline.fit_reference({"x": rng.normal(size=20_000)}, window_sizes=[1_000])
    values = rng.normal(size=1_000)
    values[: int(null_share * 1_000)] = np.nan
    window = WindowProfile.of(reference, {"x": values})
    (signal,) = IntegrityMonitor(reference).update(window).signals
    assert (signal.kind, signal.level) == ("null_jump", level)


def test_unswapping_the_labels_that_moved_undoes_a_remap() -> None:
    ref = np.array([40_000.0, 25_000.0, 20_000.0, 10_000.0, 5_000.0, 0.0])
    cur = np.array([251.0, 398.0, 203.0, 98.0, 50.0, 0.0])  # the first two swapped
    fixed = unswapped_counts(ref, cur, alpha=1e-3)
    assert fixed is not None
    np.testing.assert_array_equal(fixed, [398.0, 251.0, 203.0, 98.0, 50.0, 0.0])
    # Only labels whose share moved beyond chance are re-paired: noise stays where it is.
    noisy = np.array([395.0, 255.0, 195.0, 105.0, 50.0, 0.0])
    assert unswapped_counts(ref, noisy, alpha=1e-3) is None


def test_a_seasonal_reshuffle_is_drift_not_a_mapping_error() -> None:
    """Many labels' shares scaled by moderate factors (a season), not moved wholesale."""
    rng = np.random.default_rng(11)
    many, flat = _labels(50), _zipf(50) ** 0.5 / np.sum(_zipf(50) ** 0.5)
    ref = redline.fit_reference(
        {"d": rng.choice(many, N_REF, p=flat)}, window_sizes=SIZES, max_categories=50
    )
    monitor = IntegrityMonitor(ref)
    spec = ref.columns["d"]
    assert isinstance(spec, CategoricalSpec)
    min_js, _ = monitor.mapping_limits("d", 1_000)
    changed = remaps = 0
    for _ in range(60):
        season = flat * np.exp(rng.normal(0.0, 0.3, flat.size))
        window = WindowProfile.of(ref, {"d": rng.choice(many, 1_000, p=season / season.sum())})
        state = window.columns["d"]
        labelled, _ = mapping_statistics(spec.counts, state.counts.astype(np.float64))
        changed += float(labelled) > min_js
        remaps += any(s.kind == "mapping_error" for s in monitor.update(window).signals)
    assert changed >= 30  # the labels' shares clearly changed ...
    assert remaps == 0  # ... but no label's mass went wholesale to another
