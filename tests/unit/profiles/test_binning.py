"""The grid bin lookup is exactly ``np.searchsorted(edges, x, side="right")`` for finite x."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

import redline
from redline.profiles.binning import BinLookup, bin_counts, bin_lookup
from redline.profiles.specs import NumericSpec
from redline.profiles.states import NumericState

FloatArray = NDArray[np.float64]
Draw = Callable[[np.random.Generator, int], FloatArray]

FINITE = st.floats(allow_nan=False, allow_infinity=False)
TINY = np.finfo(np.float64).smallest_subnormal
BIG = np.finfo(np.float64).max
LEVELS = np.unique(np.concatenate([np.linspace(0.0, 1.0, 31), [0.001, 0.01, 0.99, 0.999]]))
DISTRIBUTIONS: dict[str, Draw] = {
    "normal": lambda rng, n: rng.normal(size=n),
    "cauchy": lambda rng, n: rng.standard_cauchy(n),
    "lognormal": lambda rng, n: rng.lognormal(0.0, 3.0, n),
    "pareto": lambda rng, n: rng.pareto(0.5, n),
    "counts": lambda rng, n: rng.poisson(3.0, n).astype(np.float64),
    "dice": lambda rng, n: rng.integers(1, 7, n).astype(np.float64),
    "zero-inflated": lambda rng, n: np.where(rng.random(n) < 0.5, 0.0, rng.exponential(size=n)),
    "offset": lambda rng, n: 1e12 + rng.normal(size=n),
    "tiny": lambda rng, n: 1e-300 * rng.normal(size=n),
    "huge": lambda rng, n: 1e150 * rng.normal(size=n),
}


def _oracle(edges: FloatArray, x: FloatArray) -> NDArray[np.intp]:
    return np.searchsorted(edges, x, side="right")


def _probes(edges: FloatArray) -> FloatArray:
    """Every edge, its two neighbours, signed zeros, subnormals and the largest floats."""
    with np.errstate(over="ignore"):
        near = [edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)]
    extremes = np.array([0.0, -0.0, TINY, -TINY, BIG, -BIG, 1.0, -1.0])
    probes = np.concatenate([*near, extremes])
    return probes[np.isfinite(probes)]


def _assert_exact(lookup: BinLookup | None, edges: FloatArray, x: FloatArray) -> None:
    expected = _oracle(edges, x)
    if lookup is not None:
        assert lookup.indices(x).tolist() == expected.tolist()
        counts = np.bincount(expected, minlength=edges.size + 1)
        assert lookup.counts(x).tolist() == counts.tolist()
    big = np.resize(x, max(x.size, 3_000))  # large enough for bin_counts to use the grid
    big_counts = np.bincount(_oracle(edges, big), minlength=edges.size + 1)
    assert bin_counts(edges, big).tolist() == big_counts.tolist()


@st.composite
def _any_edges(draw: st.DrawFn) -> FloatArray:
    return np.unique(np.array(draw(st.lists(FINITE, min_size=1, max_size=60)), dtype=np.float64))


@st.composite
def _quantile_edges(draw: st.DrawFn) -> tuple[FloatArray, FloatArray]:
    """Edges as a reference fit makes them, and values from the same distribution."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sample = DISTRIBUTIONS[draw(st.sampled_from(sorted(DISTRIBUTIONS)))]
    scale = draw(st.sampled_from([1e-290, 1e-9, 1.0, 1e9, 1e290]))
    with np.errstate(over="ignore", invalid="ignore"):  # scaled tails may overflow: drop them
        reference, current = scale * sample(rng, 500), scale * sample(rng, 2_000)
        reference = reference[np.isfinite(reference)] if np.isfinite(reference).any() else [0.0]
        edges = np.unique(np.quantile(reference, LEVELS))
    edges = edges[np.isfinite(edges)]
    edges = np.append(edges, np.nextafter(edges[-1], np.inf))
    edges = edges[np.isfinite(edges)]
    return edges, np.concatenate([current[np.isfinite(current)], _probes(edges)])


@settings(max_examples=300, deadline=None)
@given(_any_edges(), st.lists(FINITE, max_size=200), st.sampled_from([1, 2, 7, 64, 8192]))
def test_any_finite_edges_and_values_match_searchsorted(
    edges: FloatArray, extra: list[float], n_cells: int
) -> None:
    x = np.concatenate([np.array(extra, dtype=np.float64), _probes(edges)])
    _assert_exact(BinLookup.build(edges, n_cells=n_cells), edges, x)


@settings(max_examples=300, deadline=None)
@given(_quantile_edges(), st.sampled_from([3, 64, 8192]))
def test_quantile_edges_on_any_scale_match_searchsorted(
    case: tuple[FloatArray, FloatArray], n_cells: int
) -> None:
    edges, x = case
    _assert_exact(BinLookup.build(edges, n_cells=n_cells), edges, x)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_fitted_edges_match_numpy_over_many_chunks(name: str) -> None:
    rng = np.random.default_rng(7)
    sample = DISTRIBUTIONS[name]
    spec = redline.fit_reference({"v": sample(rng, 4_000)}, window_sizes=[100]).columns["v"]
    assert isinstance(spec, NumericSpec)
    x = sample(rng, 100_003)  # several chunks, the last one partial
    lookup = bin_lookup(spec.edges)
    assert lookup is not None
    _assert_exact(lookup, spec.edges, np.concatenate([x, _probes(spec.edges)]))
    strided = np.stack([x, -x], axis=1)[:, 0]  # a column of a 2-d block is a strided view
    _assert_exact(lookup, spec.edges, strided)


def test_degenerate_edges_fall_back_to_searchsorted() -> None:
    for edges in ([1.0], [0.0, 1.0, 2.0], [-BIG, 0.0, 1.0, BIG], [0.0, TINY, 2 * TINY, 3 * TINY]):
        array = np.array(edges)
        assert BinLookup.build(array) is None
        _assert_exact(None, array, _probes(array))


def test_lookups_are_cached_per_distinct_edges() -> None:
    edges = np.linspace(-3.0, 3.0, 20)
    assert bin_lookup(edges) is bin_lookup(edges.copy())
    assert bin_lookup(edges) is not bin_lookup(edges + 1.0)


def test_numeric_fold_counts_and_moments_match_numpy() -> None:
    rng = np.random.default_rng(3)
    spec = redline.fit_reference({"v": rng.normal(size=2_000)}, window_sizes=[100]).columns["v"]
    assert isinstance(spec, NumericSpec)
    x = rng.normal(0.3, 1.5, 50_000)
    raw = x.copy()
    raw[:10] = np.nan
    raw[10:13] = np.inf
    state = NumericState.empty(spec).fold(spec, raw)
    finite = x[13:]
    expected = np.bincount(_oracle(spec.edges, finite), minlength=spec.edges.size + 1)
    assert state.counts.tolist() == expected.tolist()
    assert (state.n_null, state.n_nonfinite, state.n_invalid) == (10, 3, 0)
    assert (state.min, state.max) == (finite.min(), finite.max())
    assert state.total == pytest.approx(finite.sum(), rel=1e-12)
    assert state.total_sq == pytest.approx(float(finite @ finite), rel=1e-12)
