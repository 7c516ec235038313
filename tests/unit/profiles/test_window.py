"""WindowProfile: folding, exact merging, serialisation and size."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import redline
from redline.profiles.reference import Reference
from redline.profiles.sketches import HeavyHitters, LogHistogram
from redline.profiles.states import CategoricalState, NumericState
from redline.profiles.window import WindowProfile

N_ROWS = 600
T0 = datetime(2024, 5, 1, tzinfo=UTC)


@cache
def _reference() -> Reference:
    rng = np.random.default_rng(0)
    n = 5_000
    return redline.fit_reference(
        {
            "x": rng.normal(size=n),
            "k": rng.poisson(3.0, size=n).astype(np.float64),
            "c": rng.choice(list("abcdef"), size=n, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05]),
            "b": rng.random(n) < 0.3,
        },
        window_sizes=[100, 1_000],
    )


@cache
def _dataset() -> tuple[dict[str, np.ndarray[Any, Any]], np.ndarray[Any, Any], list[str | None]]:
    """Rows with nulls, ±inf, non-numeric strings, unseen categories, latencies and sources."""
    rng = np.random.default_rng(1)
    x = rng.normal(0.2, 1.3, size=N_ROWS).astype(object)
    x[rng.random(N_ROWS) < 0.05] = None
    x[rng.random(N_ROWS) < 0.03] = np.inf
    x[rng.random(N_ROWS) < 0.02] = -np.inf
    x[rng.random(N_ROWS) < 0.03] = "not a number"
    x[rng.random(N_ROWS) < 0.02] = 50.0
    c = rng.choice(list("abcdefxyz"), size=N_ROWS).astype(object)
    c[rng.random(N_ROWS) < 0.05] = None
    columns = {
        "x": x,
        "k": rng.poisson(3.5, size=N_ROWS).astype(np.float64),
        "c": c,
        "b": rng.random(N_ROWS) < 0.5,
        "extra": rng.normal(size=N_ROWS),
    }
    latency = rng.lognormal(3.0, 0.8, size=N_ROWS)
    sources: list[str | None] = [
        None if r < 0.05 else f"10.0.{int(r * 20)}.0/24" for r in rng.random(N_ROWS)
    ]
    return columns, latency, sources


def _profile(lo: int, hi: int, seed: int) -> WindowProfile:
    columns, latency, sources = _dataset()
    ref = _reference()
    part = {k: v[lo:hi] for k, v in columns.items()}
    window = WindowProfile.empty(
        ref, start=T0 + timedelta(seconds=lo), end=T0 + timedelta(seconds=hi)
    )
    return window.fold(
        ref, part, latency_ms=latency[lo:hi], sources=sources[lo:hi], sample_seed=seed
    )


def _exact_part(w: WindowProfile) -> dict[str, Any]:
    """Everything a merge must reproduce exactly."""
    cols: dict[str, Any] = {}
    for name, s in w.columns.items():
        if isinstance(s, NumericState):
            cols[name] = (s.counts.tolist(), s.n_null, s.n_nonfinite, s.n_invalid, s.min, s.max)
        else:
            assert isinstance(s, CategoricalState)
            cols[name] = (s.counts.tolist(), s.n_null)
    return {
        "columns": cols,
        "n_rows": w.n_rows,
        "missing": w.missing,
        "unknown": w.unknown,
        "latency": (w.latency_ms.counts, w.latency_ms.n),
        "errors": w.errors,
        "routes": w.routes,
        "start": w.start,
        "end": w.end,
    }


def _moments(w: WindowProfile) -> dict[str, tuple[float, float]]:
    return {
        name: (s.total, s.total_sq) for name, s in w.columns.items() if isinstance(s, NumericState)
    }


def _assert_same_moments(a: WindowProfile, b: WindowProfile) -> None:
    ma, mb = _moments(a), _moments(b)
    assert ma.keys() == mb.keys()
    for name in ma:
        assert ma[name] == pytest.approx(mb[name], rel=1e-12, abs=1e-9), name


cuts = st.lists(st.integers(0, N_ROWS), min_size=2, max_size=2).map(sorted)


@settings(max_examples=40, deadline=None)
@given(cuts, st.integers(0, 2**32 - 1))
def test_merge_is_associative(cut: list[int], seed: int) -> None:
    i, j = cut
    a, b, c = _profile(0, i, seed), _profile(i, j, seed + 1), _profile(j, N_ROWS, seed + 2)
    left = a.merge(b).merge(c)
    right = a.merge(b.merge(c))
    assert _exact_part(left) == _exact_part(right)
    _assert_same_moments(left, right)
    assert left.sample.items == right.sample.items


@settings(max_examples=40, deadline=None)
@given(st.integers(0, N_ROWS), st.integers(0, 2**32 - 1))
def test_merge_is_commutative(i: int, seed: int) -> None:
    a, b = _profile(0, i, seed), _profile(i, N_ROWS, seed + 1)
    ab, ba = a.merge(b), b.merge(a)
    assert _exact_part(ab) == _exact_part(ba)
    _assert_same_moments(ab, ba)
    assert ab.sample.items == ba.sample.items
    assert ab.sources.to_dict() == ba.sources.to_dict()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, N_ROWS), st.integers(0, 2**32 - 1))
def test_fold_of_parts_merged_equals_fold_of_union(i: int, seed: int) -> None:
    merged = _profile(0, i, seed).merge(_profile(i, N_ROWS, seed + 1))
    whole = _profile(0, N_ROWS, seed)
    assert _exact_part(merged) == _exact_part(whole)
    _assert_same_moments(merged, whole)
    # 20 sources fit in the heavy hitters' capacity, so their counts are exact too.
    assert merged.sources.counts == whole.sources.counts
    assert merged.sources.error == whole.sources.error == 0


def test_fold_counts_what_could_not_be_binned() -> None:
    columns, _, sources = _dataset()
    w = _profile(0, N_ROWS, 0)
    x = w.columns["x"]
    assert isinstance(x, NumericState)
    raw = columns["x"]
    n_none = sum(v is None for v in raw)
    n_inf = sum(isinstance(v, float) and math.isinf(v) for v in raw)
    n_text = sum(isinstance(v, str) for v in raw)
    assert (x.n_null, x.n_nonfinite, x.n_invalid) == (n_none, n_inf, n_text)
    assert x.n == N_ROWS - n_none - n_inf - n_text
    finite = np.array([v for v in raw if isinstance(v, float) and math.isfinite(v)])
    assert x.mean == pytest.approx(finite.mean(), rel=1e-12)
    assert x.std == pytest.approx(finite.std(), rel=1e-9)
    assert (x.min, x.max) == (finite.min(), finite.max())
    c = w.columns["c"]
    assert isinstance(c, CategoricalState)
    unseen = Counter(v for v in columns["c"] if v in {"x", "y", "z"})
    assert int(c.counts[-1]) == sum(unseen.values())
    assert dict(c.unseen.counts) == dict(unseen)
    assert w.unknown == {"extra": N_ROWS}
    assert w.sources.total == sum(s is not None for s in sources)
    assert w.latency_ms.n == N_ROWS


def test_missing_column_is_counted_per_row() -> None:
    columns, _, _ = _dataset()
    part = {k: v[:100] for k, v in columns.items() if k != "c"}
    w = WindowProfile.of(_reference(), part)
    assert w.missing == {"c": 100}
    assert w.columns["c"].n == 0


def test_merge_refuses_windows_of_different_references() -> None:
    other = redline.fit_reference({"x": np.arange(100.0)}, window_sizes=[100])
    with pytest.raises(ValueError, match="different references"):
        _profile(0, 10, 0).merge(WindowProfile.empty(other))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, N_ROWS), st.integers(0, N_ROWS), st.integers(0, 2**32 - 1))
def test_to_dict_from_dict_round_trips_through_json(lo: int, hi: int, seed: int) -> None:
    lo, hi = min(lo, hi), max(lo, hi)
    w = _profile(lo, hi, seed)
    text = json.dumps(w.to_dict(), allow_nan=False)
    back = WindowProfile.from_dict(json.loads(text))
    assert back.to_dict() == w.to_dict()
    assert _exact_part(back) == _exact_part(w)
    assert back.window_id == w.window_id
    # A restored profile keeps merging like the original.
    more = _profile(0, 50, seed + 1)
    assert back.merge(more).to_dict() | {"window_id": ""} == w.merge(more).to_dict() | {
        "window_id": ""
    }


def _one_column_size(reference: Reference, name: str, values: Any) -> int:
    w = WindowProfile.of(reference, {name: values})
    return len(json.dumps(w.to_dict(), allow_nan=False).encode())


@pytest.mark.parametrize("n_rows", [1_000, 100_000, 1_000_000])
def test_numeric_window_state_is_at_most_10_kb(n_rows: int) -> None:
    rng = np.random.default_rng(n_rows)
    ref = redline.fit_reference({"x": rng.normal(size=20_000)}, window_sizes=[1_000])
    values = rng.normal(0.5, 3.0, size=n_rows) * 1e6
    values[::97] = np.nan
    assert _one_column_size(ref, "x", values) <= 10_000


@pytest.mark.parametrize("n_rows", [1_000, 100_000, 1_000_000])
def test_categorical_window_state_with_50_categories_is_at_most_10_kb(n_rows: int) -> None:
    rng = np.random.default_rng(n_rows)
    labels = np.array([f"category-{i:02d}" for i in range(50)], dtype=object)
    p = rng.dirichlet(np.full(50, 5.0))
    ref = redline.fit_reference({"c": rng.choice(labels, 20_000, p=p)}, window_sizes=[1_000])
    assert len(ref.columns["c"].vocab) == 50  # type: ignore[union-attr]
    values = rng.choice(labels, n_rows, p=p)
    # A tenth of the rows are never-seen labels, almost all distinct.
    k = n_rows // 10
    values[:k] = np.char.add("user-", rng.integers(0, 10**12, size=k).astype(str)).astype(object)
    assert _one_column_size(ref, "c", values) <= 10_000


# --- heavy hitters ---------------------------------------------------------------------------

streams = st.lists(
    st.lists(st.sampled_from([f"s{i}" for i in range(40)] + ["hot"] * 30), max_size=200),
    min_size=1,
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(streams, st.integers(1, 16), st.randoms(use_true_random=False))
def test_heavy_hitters_counts_are_within_their_error(
    batches: list[list[str]], capacity: int, rnd: Any
) -> None:
    summaries = [HeavyHitters(capacity=capacity).add(b) for b in batches]
    while len(summaries) > 1:  # merge in a random tree
        i = rnd.randrange(len(summaries) - 1)
        summaries[i : i + 2] = [summaries[i].merge(summaries[i + 1])]
    h = summaries[0]
    truth = Counter(item for b in batches for item in b)
    assert h.total == sum(truth.values())
    assert len(h.counts) <= capacity
    for item, true_count in truth.items():
        reported = h.counts.get(item, 0)
        assert true_count - h.error <= reported <= true_count, item
    # Misra-Gries: every pruning removes capacity + 1 units of the stream per unit of error.
    assert h.error * (capacity + 1) <= h.total


def test_heavy_hitters_round_trip_and_top() -> None:
    h = HeavyHitters(capacity=3).add(["a", "b", "a", "c", "a", "b", "d"])
    back = HeavyHitters.from_dict(json.loads(json.dumps(h.to_dict())))
    assert back == h
    assert back.top(1) == [("a", h.counts["a"])]


# --- latency histogram -----------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(1e-3, 1e9, allow_nan=False), min_size=1, max_size=300),
    st.floats(0.0, 1.0),
)
def test_log_histogram_quantiles_are_within_one_percent(values: list[float], q: float) -> None:
    v = np.asarray(values)
    h = LogHistogram().add(v[: v.size // 2]).merge(LogHistogram().add(v[v.size // 2 :]))
    assert h.n == v.size
    true = float(np.quantile(v, q, method="inverted_cdf"))
    assert h.quantile(q) == pytest.approx(true, rel=0.0101)


def test_log_histogram_ignores_non_finite_values_and_round_trips() -> None:
    h = LogHistogram().add(np.array([1.0, np.nan, np.inf, 10.0, 100.0]))
    assert h.n == 3
    assert LogHistogram.from_dict(json.loads(json.dumps(h.to_dict()))) == h
    assert math.isnan(LogHistogram().quantile(0.5))
