"""Arrow-backed and numpy object columns encode, infer, describe and sample the same way."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import redline
from redline.domain import ColumnKind
from redline.profiles.encoding import (
    CategoricalCodes,
    arrow_strings,
    encode_categorical,
    numeric_values,
    text_descriptor,
)
from redline.profiles.kinds import infer_kind
from redline.profiles.specs import CategoricalSpec
from redline.profiles.states import CategoricalState
from redline.profiles.tabular import to_columns, values_at
from redline.profiles.vocab import fit_vocabulary
from redline.profiles.window import WindowProfile, _jsonable

NULLS = st.sampled_from([None, math.nan, pd.NA])
LABELS = st.lists(st.text(max_size=4), max_size=6, unique=True)


def _oracle(vocab: tuple[str, ...], values: list[Any]) -> tuple[list[int], int, list[str]]:
    """Codes, nulls and unseen labels of a list of strings and nulls, one value at a time."""
    codes, unseen, n_null = [], [], 0
    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            n_null += 1
        elif v in vocab:
            codes.append(vocab.index(v))
        else:
            codes.append(len(vocab))
            unseen.append(v)
    return codes, n_null, unseen


def _as_tuple(coded: CategoricalCodes) -> tuple[list[int], int, list[str]]:
    return coded.codes.tolist(), coded.n_null, coded.unseen.tolist()


def _forms(values: list[Any]) -> list[Any]:
    """The same column as an object array, an Arrow array and a two-chunk Arrow array."""
    objects = np.array(values, dtype=object)
    arrow = pa.array(objects, type=pa.string(), from_pandas=True)
    large = arrow.cast(pa.large_string())
    half = len(values) // 2
    return [objects, arrow, pa.chunked_array([large[:half], large[half:]], type=large.type)]


@settings(max_examples=200, deadline=None)
@given(LABELS, st.lists(st.one_of(st.text(max_size=4), NULLS), max_size=60))
def test_strings_encode_like_a_one_value_at_a_time_oracle(
    vocab: list[str], values: list[Any]
) -> None:
    expected = _oracle(tuple(vocab), values)
    for form in _forms(values):
        assert _as_tuple(encode_categorical(tuple(vocab), form)) == expected


def test_mixed_objects_map_through_their_labels() -> None:
    values = np.array(["1", 1, 1.0, True, False, 2.5, None, np.nan, "x"], dtype=object)
    assert arrow_strings(values) is None
    coded = encode_categorical(("1", "true", "2.5"), values)
    assert _as_tuple(coded) == ([0, 0, 0, 1, 3, 2, 3], 2, ["false", "x"])


def test_bytes_are_not_taken_for_text() -> None:
    coded = encode_categorical(("a",), np.array([b"a", "a"], dtype=object))
    assert _as_tuple(coded) == ([1, 0], 0, ["b'a'"])


def test_pandas_string_columns_stay_arrow_and_the_rest_stays_numpy() -> None:
    frame = pd.DataFrame(
        {
            "s": pd.Series(["a", None, "b"], dtype="str"),
            "o": pd.Series(["a", None, "b"], dtype=object),
            "c": pd.Categorical(["a", "b", "a"]),
            "x": [1.0, 2.0, 3.0],
        }
    )
    columns = to_columns(frame)
    assert isinstance(columns["s"], pa.Array | pa.ChunkedArray)
    assert isinstance(columns["o"], np.ndarray)
    assert isinstance(columns["c"], pd.Categorical)
    assert columns["x"].dtype == np.float64
    assert _as_tuple(encode_categorical(("a",), columns["s"])) == ([0, 1], 1, ["b"])
    assert _as_tuple(encode_categorical(("a",), columns["o"])) == ([0, 1], 1, ["b"])
    assert _as_tuple(encode_categorical(("a",), columns["c"])) == ([0, 1, 0], 0, ["b"])


def test_numeric_values_of_strings_count_what_is_not_a_number() -> None:
    for form in _forms(["1.5", "x", None, "2", "-inf"]):
        parts = numeric_values(form)
        assert parts.finite.tolist() == [1.5, 2.0]
        assert (parts.n_null, parts.n_nonfinite, parts.n_invalid) == (1, 1, 1)
        assert (parts.min, parts.max) == (1.5, 2.0)


def test_numeric_values_split_floats_without_copying_clean_ones() -> None:
    clean = np.array([3.0, -1.0, 2.0])
    parts = numeric_values(clean)
    assert parts.finite is clean
    assert (parts.min, parts.max, parts.n_null) == (-1.0, 3.0, 0)
    parts = numeric_values(np.array([1.0, np.nan, np.inf, -np.inf, 2.0]))
    assert parts.finite.tolist() == [1.0, 2.0]
    assert (parts.n_null, parts.n_nonfinite, parts.min, parts.max) == (1, 2, 1.0, 2.0)
    empty = numeric_values(np.array([np.nan]))
    assert (empty.finite.size, empty.min, empty.max) == (0, math.inf, -math.inf)


def test_infer_kind_of_arrow_strings_reads_only_the_head() -> None:
    short_then_long = pa.array(["ab"] * 2_000 + ["x" * 100] * 5_000)
    assert infer_kind(short_then_long) == ColumnKind.CATEGORICAL
    assert infer_kind(pa.chunked_array([["x" * 100] * 10])) == ColumnKind.TEXT
    assert infer_kind(pa.array([None, None], type=pa.string())) == ColumnKind.CATEGORICAL
    assert infer_kind(pa.array([1.5, None])) == ColumnKind.NUMERIC
    assert infer_kind(pa.array([True, None])) == ColumnKind.BOOLEAN


@pytest.mark.parametrize("descriptor", ["length", "words"])
def test_text_descriptors_agree_across_forms(descriptor: str) -> None:
    values = ["ab c", None, "", "  x  y ", "a\u00a0b", "naïve café", math.nan]
    results = [text_descriptor(form, descriptor) for form in _forms(values)]
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])
    assert math.isnan(results[0][1])
    assert math.isnan(results[0][6])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["a", "b", "c", "d", "e"]), NULLS), max_size=80))
def test_fit_vocabulary_agrees_across_forms(values: list[Any]) -> None:
    fits = [fit_vocabulary(form, ColumnKind.CATEGORICAL, 3) for form in _forms(values)]
    for vocab, counts, n, null_share, unseen in fits[1:]:
        assert vocab == fits[0][0]
        np.testing.assert_array_equal(counts, fits[0][1])
        assert (n, null_share, unseen) == fits[0][2:]


def test_categorical_state_folds_arrow_like_objects() -> None:
    rng = np.random.default_rng(0)
    reference = redline.fit_reference({"c": rng.choice(["a", "b", "c"], 2_000)}, window_sizes=[100])
    spec = reference.columns["c"]
    assert isinstance(spec, CategoricalSpec)
    labels = rng.choice(["a", "b", "c", "new", "newer"], size=5_000).astype(object)
    labels[rng.random(5_000) < 0.1] = None
    states = [CategoricalState.empty(spec).fold(spec, form) for form in _forms(list(labels))]
    assert states[0].unseen.top(2)[0][0] in {"new", "newer"}
    for state in states[1:]:
        assert state.to_dict() == states[0].to_dict()


def test_windows_of_str_and_object_frames_are_identical() -> None:
    rng = np.random.default_rng(1)
    labels = rng.choice(["a", "b", "c", "zz"], size=3_000).astype(object)
    labels[::17] = None
    data = {"x": rng.normal(size=3_000), "c": labels}
    reference = redline.fit_reference(
        {"x": data["x"][:1_000], "c": labels[:1_000]}, window_sizes=[100]
    )
    as_str = pd.DataFrame({"x": data["x"], "c": pd.Series(labels, dtype="str")})
    as_object = pd.DataFrame({"x": data["x"], "c": pd.Series(labels, dtype=object)})
    windows = [
        WindowProfile.empty(reference).fold(reference, to_columns(f), sample_seed=3)
        for f in (as_str, as_object)
    ]
    dicts = [{k: v for k, v in w.to_dict().items() if k != "window_id"} for w in windows]
    assert dicts[0] == dicts[1]
    assert {type(row["c"]) for row in windows[0].sample.rows()} <= {str, type(None)}


def test_values_at_and_jsonable_give_plain_python_values() -> None:
    positions = np.array([2, 0])
    assert values_at(pa.chunked_array([["a"], [None, "c"]]), positions) == ["c", "a"]
    assert values_at(np.array([1.5, 2.5, np.inf]), positions) == [math.inf, 1.5]
    assert values_at(pd.Categorical(["u", "v", "u"]), positions) == ["u", "u"]
    assert _jsonable(pa.scalar("s")) == "s"
    assert _jsonable(pa.scalar(math.nan)) is None
    assert _jsonable(pa.scalar(None, type=pa.string())) is None
