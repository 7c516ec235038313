"""Distribution statistics on fixed bins, checked against numpy and scipy oracles."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.typing import NDArray
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

import redline
from redline.profiles.drift import numeric_statistics
from redline.profiles.stats import (
    KL_SMOOTHING,
    chi2_statistic,
    js_distance,
    kl_divergence,
    ks_distance,
    linf_distance,
    psi,
    shares,
    wasserstein_binned,
)
from redline.profiles.window import WindowProfile

FloatArray = NDArray[np.float64]


def _count_pairs(
    min_bins: int = 2, max_bins: int = 40
) -> st.SearchStrategy[tuple[FloatArray, FloatArray]]:
    """Two count vectors on the same bins, each with a positive total."""

    def build(k: int) -> st.SearchStrategy[tuple[FloatArray, FloatArray]]:
        one = arrays(np.float64, k, elements=st.integers(0, 500).map(float)).filter(
            lambda a: a.sum() > 0
        )
        return st.tuples(one, one)

    return st.integers(min_bins, max_bins).flatmap(build)


def _smoothed(counts: FloatArray) -> FloatArray:
    c = counts + KL_SMOOTHING
    return c / c.sum()


# --- direct oracles ------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(_count_pairs())
def test_psi_equals_the_direct_numpy_formula(pair: tuple[FloatArray, FloatArray]) -> None:
    ref, cur = pair
    p, q = _smoothed(ref), _smoothed(cur)
    expected = np.sum((q - p) * np.log(q / p))
    assert float(psi(ref, cur)) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert float(psi(ref, cur)) >= 0.0


@settings(max_examples=100, deadline=None)
@given(_count_pairs())
def test_kl_divergence_is_current_given_reference_like_scipy_entropy(
    pair: tuple[FloatArray, FloatArray],
) -> None:
    ref, cur = pair
    expected = sps.entropy(_smoothed(cur), _smoothed(ref))
    assert float(kl_divergence(ref, cur)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_kl_divergence_direction_is_current_given_reference() -> None:
    ref, cur = np.array([90.0, 10.0]), np.array([50.0, 50.0])
    forward = sps.entropy(_smoothed(cur), _smoothed(ref))
    backward = sps.entropy(_smoothed(ref), _smoothed(cur))
    assert forward != pytest.approx(backward)
    assert float(kl_divergence(ref, cur)) == pytest.approx(forward, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(_count_pairs())
def test_js_distance_equals_scipy_jensenshannon_base_2(pair: tuple[FloatArray, FloatArray]) -> None:
    ref, cur = pair
    expected = jensenshannon(ref / ref.sum(), cur / cur.sum(), base=2)
    got = float(js_distance(ref, cur))
    assert got == pytest.approx(expected, rel=1e-7, abs=1e-7)
    assert 0.0 <= got <= 1.0


def test_js_distance_of_disjoint_supports_is_one_and_of_equal_shares_is_zero() -> None:
    assert float(js_distance(np.array([3.0, 0.0, 0.0]), np.array([0.0, 2.0, 5.0]))) == 1.0
    assert float(js_distance(np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0, 30.0]))) == 0.0


@settings(max_examples=100, deadline=None)
@given(_count_pairs())
def test_chi2_statistic_equals_scipy_chi2_contingency_without_correction(
    pair: tuple[FloatArray, FloatArray],
) -> None:
    ref, cur = pair
    nonempty = (ref + cur) > 0
    table = np.vstack([ref[nonempty], cur[nonempty]])
    expected = 0.0 if table.shape[1] < 2 else sps.chi2_contingency(table, correction=False)[0]
    assert float(chi2_statistic(ref, cur)) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_chi2_statistic_of_a_2x2_table_matches_scipy() -> None:
    # The 2 x 2 case is where scipy's default would apply Yates' correction.
    ref, cur = np.array([120.0, 80.0]), np.array([40.0, 60.0])
    expected = sps.chi2_contingency(np.vstack([ref, cur]), correction=False)[0]
    assert float(chi2_statistic(ref, cur)) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=100, deadline=None)
@given(_count_pairs())
def test_linf_distance_is_the_largest_share_change(pair: tuple[FloatArray, FloatArray]) -> None:
    ref, cur = pair
    expected = np.max(np.abs(cur / cur.sum() - ref / ref.sum()))
    assert float(linf_distance(ref, cur)) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_shares_with_smoothing_adds_to_every_bin() -> None:
    np.testing.assert_allclose(shares(np.array([0.0, 2.0]), 1.0), [0.25, 0.75])
    np.testing.assert_array_equal(shares(np.zeros(3)), np.zeros(3))


# --- KS on binned data ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shift", "scale"), [(0.0, 1.0), (0.1, 1.0), (0.5, 1.0), (0.0, 1.5), (-1.0, 0.7)]
)
def test_ks_distance_on_bins_is_within_the_largest_bin_share_of_raw_ks(
    shift: float, scale: float
) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=5_000)
    y = rng.normal(shift, scale, size=3_000)
    edges = np.quantile(x, np.linspace(0, 1, 31)[1:-1])
    full = np.concatenate([[-np.inf], edges, [np.inf]])
    ref, _ = np.histogram(x, full)
    cur, _ = np.histogram(y, full)
    ref_f, cur_f = ref.astype(np.float64), cur.astype(np.float64)
    binned = float(ks_distance(ref_f, cur_f))
    raw = sps.ks_2samp(x, y).statistic
    largest = max(shares(ref_f).max(), shares(cur_f).max())
    assert binned <= raw + 1e-12
    assert raw - binned <= largest + 1e-12


def test_ks_distance_of_fitted_window_is_within_the_largest_bin_share_of_raw_ks() -> None:
    rng = np.random.default_rng(11)
    x = rng.lognormal(size=20_000)
    y = rng.lognormal(0.3, 1.0, size=2_000)
    ref = redline.fit_reference({"x": x}, window_sizes=[1_000])
    spec = ref.columns["x"]
    state = WindowProfile.of(ref, {"x": y}).columns["x"]
    binned = numeric_statistics(spec, state)["ks_d"]  # type: ignore[arg-type]
    raw = sps.ks_2samp(x, y).statistic
    largest = max(shares(spec.counts).max(), shares(state.counts).max())
    # The reference's under/overflow bins hold about 1/n of smoothing mass.
    slack = 2.0 / x.size
    assert binned <= raw + slack
    assert raw - binned <= largest + slack


# --- Wasserstein ----------------------------------------------------------------------------


def _exact_piecewise_uniform_w1(ref: FloatArray, cur: FloatArray, edges: FloatArray) -> float:
    """W1 of two piecewise-uniform densities, by integrating |F_ref - F_cur| on a fine grid."""
    grid = np.concatenate(
        [np.linspace(edges[i], edges[i + 1], 2_001)[:-1] for i in range(edges.size - 1)]
        + [edges[-1:]]
    )
    cdf_edges_ref = np.concatenate([[0.0], np.cumsum(ref / ref.sum())])
    cdf_edges_cur = np.concatenate([[0.0], np.cumsum(cur / cur.sum())])
    gap = np.abs(np.interp(grid, edges, cdf_edges_ref) - np.interp(grid, edges, cdf_edges_cur))
    return float(np.sum(0.5 * (gap[1:] + gap[:-1]) * np.diff(grid)))


@settings(max_examples=60, deadline=None)
@given(_count_pairs(2, 12), st.integers(0, 2**32 - 1))
def test_wasserstein_binned_is_exact_for_piecewise_uniform_densities(
    pair: tuple[FloatArray, FloatArray], seed: int
) -> None:
    ref, cur = pair
    rng = np.random.default_rng(seed)
    edges = np.concatenate([[0.0], np.cumsum(rng.uniform(0.1, 3.0, size=ref.size))])
    expected = _exact_piecewise_uniform_w1(ref, cur, edges)
    got = float(wasserstein_binned(ref, cur, edges))
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-7)


def _sample(name: str, rng: np.random.Generator, n: int) -> FloatArray:
    draw: dict[str, Callable[[], FloatArray]] = {
        "normal": lambda: rng.normal(size=n),
        "lognormal": lambda: rng.lognormal(size=n),
        "uniform": lambda: rng.uniform(size=n),
    }
    return draw[name]()


@pytest.mark.parametrize("distribution", ["normal", "lognormal", "uniform"])
def test_normalized_wasserstein_of_a_window_matches_scipy_on_winsorized_values(
    distribution: str,
) -> None:
    rng = np.random.default_rng(3)
    x = _sample(distribution, rng, 100_000)
    ref = redline.fit_reference({"x": x}, window_sizes=[1_000])
    spec = ref.columns["x"]
    for shift_sd in (0.3, 0.5, 1.0):
        y = _sample(distribution, rng, 100_000) + shift_sd * x.std()
        state = WindowProfile.of(ref, {"x": y}).columns["x"]
        got = numeric_statistics(spec, state)["wasserstein_norm"]  # type: ignore[arg-type]
        low, high = _fence(x)
        robust_sd = sps.iqr(x) / (2 * sps.norm.ppf(0.75))
        expected = sps.wasserstein_distance(x.clip(low, high), y.clip(low, high)) / robust_sd
        assert got == pytest.approx(expected, rel=0.05), (distribution, shift_sd)


def _fence(x: FloatArray) -> tuple[float, float]:
    """Q1 - 3 IQR and Q3 + 3 IQR, or the 1st and 99th percentiles when further out."""
    q01, q1, q3, q99 = np.quantile(x, [0.01, 0.25, 0.75, 0.99])
    return min(q01, q1 - 3 * (q3 - q1)), max(q99, q3 + 3 * (q3 - q1))


def test_wasserstein_binned_of_a_full_shift_is_the_distance_moved() -> None:
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    got = wasserstein_binned(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), edges)
    assert float(got) == pytest.approx(2.0)


# --- vectorised calls -----------------------------------------------------------------------

PAIRWISE: list[Callable[[FloatArray, FloatArray], FloatArray]] = [
    psi,
    kl_divergence,
    js_distance,
    chi2_statistic,
    linf_distance,
    ks_distance,
]


@pytest.mark.parametrize("statistic", PAIRWISE, ids=lambda f: f.__name__)
def test_two_dimensional_call_equals_row_by_row(
    statistic: Callable[[FloatArray, FloatArray], FloatArray],
) -> None:
    rng = np.random.default_rng(5)
    p = rng.dirichlet(np.ones(12))
    ref = rng.multinomial(5_000, p, size=50).astype(np.float64)
    cur = rng.multinomial(300, p, size=50).astype(np.float64)
    cur[3, :4] = 0.0
    batch = statistic(ref, cur)
    rows = np.array([statistic(ref[i], cur[i]) for i in range(ref.shape[0])])
    assert batch.shape == (50,)
    np.testing.assert_allclose(batch, rows, rtol=1e-12, atol=1e-15)
    # One reference against many windows broadcasts the same way.
    broadcast = statistic(ref[0], cur)
    single = np.array([statistic(ref[0], cur[i]) for i in range(cur.shape[0])])
    np.testing.assert_allclose(broadcast, single, rtol=1e-12, atol=1e-15)


def test_wasserstein_two_dimensional_call_equals_row_by_row() -> None:
    rng = np.random.default_rng(6)
    p = rng.dirichlet(np.ones(10))
    ref = rng.multinomial(5_000, p, size=40).astype(np.float64)
    cur = rng.multinomial(300, rng.dirichlet(np.ones(10)), size=40).astype(np.float64)
    edges = np.concatenate([[0.0], np.cumsum(rng.uniform(0.5, 2.0, size=10))])
    batch = wasserstein_binned(ref, cur, edges)
    rows = np.array([wasserstein_binned(ref[i], cur[i], edges) for i in range(40)])
    np.testing.assert_allclose(batch, rows, rtol=1e-12, atol=1e-15)
