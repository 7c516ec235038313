"""The fast fold paths give what the general ones give: codes, samples, flagged rows, statistics."""

from __future__ import annotations

import decimal
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

import redline
from redline.profiles.drift import categorical_statistics, numeric_statistics, top_moves
from redline.profiles.encoding import (
    _encode_strings,
    arrow_strings,
    encode_categorical,
    label_codes,
)
from redline.profiles.flags import flag_mask
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, NumericSpec
from redline.profiles.states import CategoricalState, NumericState
from redline.profiles.stats import (
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

VOCAB = ("north", "south", "east")
NULLS = [None, np.nan, pd.NA, pd.NaT, decimal.Decimal("NaN"), np.float32("nan")]


@cache
def _reference() -> Reference:
    rng = np.random.default_rng(0)
    n = 5_000
    return redline.fit_reference(
        {
            "x": rng.normal(size=n),
            "c": rng.choice(list("abcdef"), size=n, p=[0.4, 0.2, 0.15, 0.1, 0.1, 0.05]),
        },
        window_sizes=[100, 1_000],
    )


def _window_columns(rng: np.random.Generator, n: int) -> dict[str, Any]:
    x = rng.normal(0.3, 1.5, size=n)
    x[rng.random(n) < 0.01] = np.inf  # flagged rows
    c = rng.choice(list("abcdefz"), size=n).astype(object)  # "z" is unseen: flagged
    c[rng.random(n) < 0.05] = None
    return {"x": x, "c": c}


def _same_codes(a: Any, b: Any) -> None:
    assert a.codes.tolist() == b.codes.tolist()
    assert a.n_null == b.n_null
    assert [str(v) for v in a.unseen] == [str(v) for v in b.unseen]


@pytest.mark.parametrize("null", NULLS, ids=repr)
def test_string_columns_encode_as_on_the_arrow_and_pandas_paths(null: Any) -> None:
    values = np.array(["south", null, "west", "north", "west", null, "east"] * 50, dtype=object)
    fast = encode_categorical(VOCAB, values)
    assert label_codes(VOCAB, values) is not None  # the fast path was taken
    strings = arrow_strings(values)
    if strings is not None:  # not every null type converts to Arrow
        _same_codes(fast, _encode_strings(VOCAB, strings))
    _same_codes(fast, encode_categorical(VOCAB, list(values)))  # a list takes the pandas path
    assert fast.n_null == 100
    assert fast.unseen.tolist() == ["west"] * 100


def test_mixed_columns_keep_their_own_labels() -> None:
    # 1, 1.0 and True hash alike in Python, but label as "1", "1" and "true".
    values = np.array(["1", 1, 1.0, True, "true", None], dtype=object)
    assert label_codes(("1", "true"), values) is None
    coded = encode_categorical(("1", "true"), values)
    assert coded.codes.tolist() == [0, 0, 0, 1, 1]
    assert coded.n_null == 1


def test_chunked_folds_equal_one_fold_of_all_rows() -> None:
    ref = _reference()
    columns = _window_columns(np.random.default_rng(1), 6_000)
    whole = WindowProfile.empty(ref).fold(ref, columns)
    chunked = WindowProfile.empty(ref)
    for start in range(0, 6_000, 1_000):
        chunked.fold(ref, {k: v[start : start + 1_000] for k, v in columns.items()})
    for name in ("x", "c"):
        a, b = whole.columns[name], chunked.columns[name]
        assert a.counts.tolist() == b.counts.tolist()
        assert a.n_null == b.n_null
    x_whole, x_chunked = whole.columns["x"], chunked.columns["x"]
    assert isinstance(x_whole, NumericState)
    assert isinstance(x_chunked, NumericState)
    assert x_whole.n_nonfinite == x_chunked.n_nonfinite > 0
    assert x_whole.total == pytest.approx(x_chunked.total, rel=1e-12)
    assert (x_whole.min, x_whole.max) == (x_chunked.min, x_chunked.max)
    c_whole, c_chunked = whole.columns["c"], chunked.columns["c"]
    assert isinstance(c_whole, CategoricalState)
    assert isinstance(c_chunked, CategoricalState)
    assert c_whole.unseen.counts == c_chunked.unseen.counts == {"z": c_whole.counts[-1]}


def test_sample_and_flagged_rows_are_the_smallest_priorities_of_every_fold() -> None:
    """Oracle: redraw each fold's priorities from its seed and keep the smallest overall."""
    ref = _reference()
    window = WindowProfile.empty(ref)
    sample: list[tuple[float, float]] = []
    flagged: list[tuple[float, float]] = []
    for seed in range(8):
        columns = _window_columns(np.random.default_rng(100 + seed), 2_000)
        window.fold(ref, columns, sample_seed=seed)
        rng = np.random.default_rng(seed)
        sample += zip(rng.random(2_000).tolist(), columns["x"].tolist(), strict=True)
        # Both columns break expectations in every fold (inf, out of range, unseen "z").
        bad = np.flatnonzero(
            flag_mask(ref.columns["x"], columns["x"]) | flag_mask(ref.columns["c"], columns["c"])
        )
        flagged += zip(rng.random(bad.size).tolist(), columns["x"][bad].tolist(), strict=True)
    for kept, offered in ((window.sample, sample), (window.flagged, flagged)):
        expected = sorted(offered)[: kept.capacity]
        got = [(p, row["x"]) for p, row in kept.items]
        assert [p for p, _ in got] == [p for p, _ in expected]
        assert [str(x) for _, x in got] == [str(x) for _, x in expected]


def test_statistics_from_cached_shares_equal_those_from_counts() -> None:
    ref = _reference()
    window = WindowProfile.empty(ref).fold(ref, _window_columns(np.random.default_rng(2), 3_000))
    spec, state = ref.columns["x"], window.columns["x"]
    assert isinstance(spec, NumericSpec)
    assert isinstance(state, NumericState)
    r, c = spec.counts, state.counts.astype(np.float64)
    edges = spec.full_edges(state.min, state.max)
    got = numeric_statistics(spec, state)
    assert got["wasserstein_norm"] == float(wasserstein_binned(r, c, edges)) / spec.scale
    assert (got["psi"], got["kl"]) == (float(psi(r, c)), float(kl_divergence(r, c)))
    assert (got["js_distance"], got["ks_d"]) == (float(js_distance(r, c)), float(ks_distance(r, c)))
    cspec, cstate = ref.columns["c"], window.columns["c"]
    assert isinstance(cspec, CategoricalSpec)
    assert isinstance(cstate, CategoricalState)
    r, c = cspec.counts, cstate.counts.astype(np.float64)
    got = categorical_statistics(cspec, cstate)
    assert (got["js_distance"], got["psi"]) == (float(js_distance(r, c)), float(psi(r, c)))
    assert (got["kl"], got["chi2"]) == (float(kl_divergence(r, c)), float(chi2_statistic(r, c)))
    assert got["linf"] == float(linf_distance(r, c))
    moves = top_moves(cspec, cstate)
    p, q = shares(r), shares(c)
    assert moves[0]["reference"] == round(float(np.max(p[np.argmax(np.abs(q - p))])), 6)
    with pytest.raises(ValueError, match="read-only"):
        spec.bin_shares[0] = 1.0


@pytest.mark.parametrize("column", ["x", "c"])
def test_statistics_asked_for_alone_equal_those_computed_with_the_rest(column: str) -> None:
    ref = _reference()
    window = WindowProfile.empty(ref).fold(ref, _window_columns(np.random.default_rng(3), 2_000))
    spec, state = ref.columns[column], window.columns[column]
    compute: Any = numeric_statistics if isinstance(spec, NumericSpec) else categorical_statistics
    every = compute(spec, state)
    for name, value in every.items():
        assert compute(spec, state, only=(name,)) == {name: value}
    (nan,) = compute(spec, type(state).empty(spec), only=(next(iter(every)),)).values()
    assert np.isnan(nan)  # a window without values: NaN, the one asked for alone
