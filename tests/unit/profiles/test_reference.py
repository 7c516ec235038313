"""fit_reference and the reference file: inputs, kinds, save/load, corruption, edge cases."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import redline
from redline.domain import ColumnKind
from redline.errors import DataError, ReferenceFileError, SchemaError
from redline.monitors.report import check
from redline.profiles.reference import FORMAT, FORMAT_VERSION, Reference, load_reference
from redline.profiles.specs import CategoricalSpec, NumericSpec, Role
from redline.profiles.window import WindowProfile

SIZES = [100, 1_000]


@cache
def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2_000
    return pd.DataFrame(
        {
            "x": rng.normal(10.0, 2.0, size=n),
            "count": rng.poisson(4, size=n),
            "city": rng.choice(["paris", "lyon", "nice", "lille"], size=n, p=[0.5, 0.2, 0.2, 0.1]),
            "flag": rng.random(n) < 0.3,
            "comment": [
                " ".join(["word"] * int(k)) + " and a long enough tail of text"
                for k in rng.integers(5, 20, size=n)
            ],
        }
    )


def _columns_body(ref: Reference) -> list[dict[str, Any]]:
    return ref.to_dict()["columns"]  # type: ignore[no-any-return]


# --- inputs ---------------------------------------------------------------------------------


def _from_frame(df: pd.DataFrame, tmp: Path) -> Any:
    return df


def _from_dict(df: pd.DataFrame, tmp: Path) -> Any:
    return {name: df[name].to_numpy() for name in df.columns}


def _from_records(df: pd.DataFrame, tmp: Path) -> Any:
    return df.to_dict("records")


def _from_csv(df: pd.DataFrame, tmp: Path) -> Any:
    path = tmp / "ref.csv"
    df.to_csv(path, index=False)
    return path


def _from_csv_str(df: pd.DataFrame, tmp: Path) -> Any:
    return str(_from_csv(df, tmp))


def _from_parquet(df: pd.DataFrame, tmp: Path) -> Any:
    path = tmp / "ref.parquet"
    df.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize(
    "make",
    [_from_frame, _from_dict, _from_records, _from_csv, _from_csv_str, _from_parquet],
    ids=["dataframe", "dict", "records", "csv", "csv-str", "parquet"],
)
def test_every_input_form_gives_the_same_reference(
    make: Callable[[pd.DataFrame, Path], Any], tmp_path: Path
) -> None:
    expected = _columns_body(redline.fit_reference(_frame(), window_sizes=SIZES))
    got = _columns_body(redline.fit_reference(make(_frame(), tmp_path), window_sizes=SIZES))
    assert got == expected


# --- kinds ----------------------------------------------------------------------------------


def test_kinds_are_inferred_and_text_becomes_descriptor_columns() -> None:
    ref = redline.fit_reference(_frame(), window_sizes=SIZES)
    kinds = {name: spec.kind for name, spec in ref.columns.items()}
    assert kinds == {
        "x": ColumnKind.NUMERIC,
        "count": ColumnKind.NUMERIC,
        "city": ColumnKind.CATEGORICAL,
        "flag": ColumnKind.BOOLEAN,
        "comment.length": ColumnKind.TEXT,
        "comment.words": ColumnKind.TEXT,
    }
    length, words = ref.columns["comment.length"], ref.columns["comment.words"]
    assert isinstance(length, NumericSpec)
    assert isinstance(words, NumericSpec)
    assert (length.source, length.descriptor) == ("comment", "length")
    assert (words.source, words.descriptor) == ("comment", "words")
    n_words = _frame()["comment"].str.split().str.len()
    assert words.mean == pytest.approx(n_words.mean())
    assert length.mean == pytest.approx(_frame()["comment"].str.len().mean())
    assert ref.raw_columns == ["x", "count", "city", "flag", "comment"]
    flag = ref.columns["flag"]
    assert isinstance(flag, CategoricalSpec)
    assert flag.vocab == ("false", "true")
    city = ref.columns["city"]
    assert isinstance(city, CategoricalSpec)
    assert city.vocab == ("paris", "lyon", "nice", "lille") or city.vocab[0] == "paris"


def test_kinds_override_inference() -> None:
    ref = redline.fit_reference(
        _frame(),
        kinds={"count": "categorical", "comment": ColumnKind.CATEGORICAL},
        window_sizes=SIZES,
    )
    count, comment = ref.columns["count"], ref.columns["comment"]
    assert isinstance(count, CategoricalSpec)
    assert count.kind == ColumnKind.CATEGORICAL
    assert set(count.vocab) <= {str(v) for v in _frame()["count"].unique()}
    assert isinstance(comment, CategoricalSpec)
    assert "comment.length" not in ref.columns


def test_unknown_column_in_kinds_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="'nope'"):
        redline.fit_reference(_frame(), kinds={"nope": "numeric"}, window_sizes=SIZES)


def test_roles_are_recorded_and_the_target_is_not_calibrated() -> None:
    df = _frame().assign(label=_frame()["flag"], score=np.linspace(0, 1, len(_frame())))
    ref = redline.fit_reference(
        df, target="label", prediction="city", confidence="score", window_sizes=SIZES
    )
    assert ref.columns["label"].role == Role.TARGET
    assert ref.columns["label"].thresholds == {}
    assert ref.column_named(Role.PREDICTION) == "city"
    assert ref.column_named(Role.CONFIDENCE) == "score"
    assert ref.columns["x"].thresholds


# --- save and load --------------------------------------------------------------------------


@cache
def _small_reference() -> Reference:
    return redline.fit_reference(_frame(), window_sizes=SIZES)


def test_save_load_round_trip_keeps_the_content_hash(tmp_path: Path) -> None:
    ref = _small_reference()
    path = ref.save(tmp_path / "ref.json")
    back = redline.load_reference(path)
    assert back.content_hash == ref.content_hash
    assert back.to_dict() == ref.to_dict()
    assert not (tmp_path / "ref.json.tmp").exists()


def _saved(tmp_path: Path) -> Path:
    return _small_reference().save(tmp_path / "ref.json")


def _change_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(b'"mean":') + len(b'"mean":')
    while not chr(data[at]).isdigit():
        at += 1
    data[at] = ord("7") if data[at] != ord("7") else ord("3")
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _not_json(path: Path) -> None:
    path.write_text("this is not JSON at all")


def _not_utf8(path: Path) -> None:
    path.write_bytes(b"\xff\xfe\x00garbage")


def _wrong_format(path: Path) -> None:
    envelope = json.loads(path.read_text())
    envelope["format"] = "someone.else"
    path.write_text(json.dumps(envelope))


def _no_envelope(path: Path) -> None:
    path.write_text(json.dumps([1, 2, 3]))


def _future_version(path: Path) -> None:
    envelope = json.loads(path.read_text())
    envelope["version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(envelope))


def _malformed_body_with_valid_hash(path: Path) -> None:
    from redline.profiles.reference import _digest

    envelope = json.loads(path.read_text())
    del envelope["reference"]["columns"][0]["edges"]
    envelope["sha256"] = _digest(envelope["reference"])
    path.write_text(json.dumps(envelope))


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (_change_one_byte, "corrupted"),
        (_truncate, "invalid JSON"),
        (_not_json, "invalid JSON"),
        (_not_utf8, "invalid JSON"),
        (_wrong_format, FORMAT),
        (_no_envelope, FORMAT),
        (_future_version, f"version {FORMAT_VERSION + 1}"),
        (_malformed_body_with_valid_hash, "malformed"),
    ],
    ids=lambda v: getattr(v, "__name__", "")[1:] if callable(v) else "",
)
def test_corrupted_reference_file_raises_a_clear_error(
    corrupt: Callable[[Path], None], message: str, tmp_path: Path
) -> None:
    path = _saved(tmp_path)
    corrupt(path)
    with pytest.raises(ReferenceFileError, match=message) as info:
        redline.load_reference(path)
    assert str(path) in str(info.value)


def test_missing_reference_file_is_a_reference_file_error(tmp_path: Path) -> None:
    with pytest.raises(ReferenceFileError, match="no such reference file"):
        load_reference(tmp_path / "absent.json")


def test_a_directory_is_not_a_reference_file(tmp_path: Path) -> None:
    with pytest.raises(ReferenceFileError):
        load_reference(tmp_path)


# --- awkward data ---------------------------------------------------------------------------


def test_constant_column_is_fitted_and_judged() -> None:
    ref = redline.fit_reference(
        {"k": np.full(3_000, 5.0), "x": np.arange(3_000.0)}, window_sizes=[1_000]
    )
    spec = ref.columns["k"]
    assert isinstance(spec, NumericSpec)
    assert spec.std == 0.0
    assert spec.scale > 0
    assert all(np.isfinite(spec.thresholds["wasserstein_norm"]))
    x = np.arange(1_000.0) * 3
    same = check(ref, {"k": np.full(1_000, 5.0), "x": x})
    assert "k" not in same.drifted_columns
    moved = check(ref, {"k": np.full(1_000, 6.0), "x": x})
    assert "k" in moved.drifted_columns


@pytest.mark.parametrize(
    "values",
    [
        np.full(1_000, 5.0),
        np.repeat([0, 1], [907, 93]),
        np.repeat([0, 1, 2], [500, 411, 89]),
    ],
    ids=["constant", "binary", "three-valued"],
)
def test_each_value_of_a_low_cardinality_numeric_column_has_its_own_inner_bin(
    values: np.ndarray[Any, Any],
) -> None:
    spec = redline.fit_reference({"v": values}, window_sizes=[100]).columns["v"]
    assert isinstance(spec, NumericSpec)
    distinct = np.unique(values)
    bins = np.searchsorted(spec.edges, distinct, side="right")
    assert np.unique(bins).size == distinct.size, (spec.edges, bins)
    assert bins.min() >= 1
    assert bins.max() <= spec.edges.size - 1  # not in the overflow bin
    # The reference's counts hold every row in an inner bin.
    assert spec.counts[1:-1].sum() == values.size


def test_a_shift_of_a_binary_numeric_column_is_detected() -> None:
    rng = np.random.default_rng(6)
    ref = redline.fit_reference(
        {"member": (rng.random(20_000) < 0.1).astype(np.int64)}, window_sizes=[1_000]
    )
    report = check(ref, {"member": (rng.random(2_000) < 0.9).astype(np.int64)})
    assert report.drifted_columns == ["member"]


def test_nan_inf_and_none_in_the_reference_count_as_nulls(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=1_000).astype(object)
    x[:50] = None
    x[50:80] = np.nan
    x[80:100] = np.inf
    x[100:110] = -np.inf
    c = rng.choice(["a", "b"], size=1_000).astype(object)
    c[:40] = None
    c[40:60] = np.nan
    ref = redline.fit_reference({"x": x, "c": c}, window_sizes=SIZES)
    xs, cs = ref.columns["x"], ref.columns["c"]
    assert isinstance(xs, NumericSpec)
    assert isinstance(cs, CategoricalSpec)
    assert xs.n == 890
    assert xs.null_share == pytest.approx(0.11)
    assert np.isfinite([xs.mean, xs.std, xs.min, xs.max]).all()
    assert cs.null_share == pytest.approx(0.06)
    assert set(cs.vocab) == {"a", "b"}
    # Nothing non-finite leaks into the file.
    assert load_reference(ref.save(tmp_path / "r.json")).content_hash == ref.content_hash


def test_all_null_numeric_column_is_a_data_error() -> None:
    with pytest.raises(DataError, match="'x'"):
        redline.fit_reference({"x": np.full(10, np.nan)}, window_sizes=SIZES)


def test_high_cardinality_categorical_keeps_a_small_vocabulary_and_state() -> None:
    n = 100_000
    ids = np.array([f"id-{i:06d}" for i in range(n)], dtype=object)
    ref = redline.fit_reference({"user": ids}, window_sizes=SIZES)
    spec = ref.columns["user"]
    assert isinstance(spec, CategoricalSpec)
    assert len(spec.vocab) <= 50
    # Labels outside the vocabulary land in "other": almost all of this column.
    assert spec.counts[-1] / spec.counts.sum() > 0.99
    rng = np.random.default_rng(3)
    window_ids = np.array([f"id-{i:06d}" for i in rng.integers(0, 10 * n, size=50_000)])
    w = WindowProfile.of(ref, {"user": window_ids.astype(object)})
    assert len(json.dumps(w.to_dict(), allow_nan=False).encode()) <= 10_000


def test_unseen_share_is_the_good_turing_estimate_over_all_labels() -> None:
    # 60 labels seen 100 times each and 500 labels seen once; the vocabulary keeps 50.
    frequent = [f"f{i}" for i in range(60) for _ in range(100)]
    singletons = [f"s{i}" for i in range(500)]
    values = np.array(frequent + singletons, dtype=object)
    spec = redline.fit_reference({"c": values}, window_sizes=[100]).columns["c"]
    assert isinstance(spec, CategoricalSpec)
    assert len(spec.vocab) == 50
    assert spec.unseen_share == pytest.approx(500 / (values.size + 1))


def test_csv_that_is_not_utf8_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("city,x\nZürich,1\nGenève,2\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        redline.fit_reference(path, window_sizes=SIZES)


def test_unknown_file_type_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"nope")
    with pytest.raises(DataError, match="unknown file type"):
        redline.fit_reference(path, window_sizes=SIZES)


# --- thresholds and determinism -------------------------------------------------------------


@cache
def _default_reference() -> Reference:
    rng = np.random.default_rng(4)
    n = 20_000
    return redline.fit_reference(
        {
            "x": rng.normal(size=n),
            "y": rng.lognormal(size=n),
            "c": rng.choice(list("abcde"), size=n, p=[0.4, 0.3, 0.15, 0.1, 0.05]),
        }
    )


def test_thresholds_decrease_with_window_size() -> None:
    ref = _default_reference()
    assert ref.window_sizes == (100, 300, 1_000, 3_000, 10_000, 100_000, 1_000_000)
    for spec in ref.columns.values():
        # The drift statistic's thresholds; the mapping-error calibration sits beside them.
        (values,) = [v for k, v in spec.thresholds.items() if not k.startswith("mapping.")]
        assert len(values) == len(ref.window_sizes)
        # Below the reference's size the window's own noise dominates: strictly decreasing.
        small = [v for w, v in zip(ref.window_sizes, values, strict=True) if w <= 10_000]
        assert all(a > b for a, b in itertools.pairwise(small)), spec.name
        # Beyond it the reference's noise sets a plateau: never increasing by more than noise.
        assert all(b <= a * 1.05 for a, b in itertools.pairwise(values)), spec.name
        assert small[0] > 2 * small[-1]


def test_thresholds_are_stricter_for_more_columns() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=5_000)
    one = redline.fit_reference({"x": x}, window_sizes=[1_000])
    many = redline.fit_reference(
        {"x": x, **{f"z{i}": rng.normal(size=5_000) for i in range(9)}}, window_sizes=[1_000]
    )
    assert (
        many.columns["x"].thresholds["wasserstein_norm"][0]
        > one.columns["x"].thresholds["wasserstein_norm"][0]
    )


def test_fit_is_deterministic() -> None:
    df = _frame()
    a = redline.fit_reference(df, window_sizes=SIZES, seed=3)
    b = redline.fit_reference(df.copy(), window_sizes=SIZES, seed=3)
    assert _columns_body(a) == _columns_body(b)
    assert a.to_dict() | {"created_at": ""} == b.to_dict() | {"created_at": ""}
    c = redline.fit_reference(df, window_sizes=SIZES, seed=4)
    assert _columns_body(c) != _columns_body(a)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"alpha": 0.0}, ValueError),
        ({"alpha": 1.5}, ValueError),
        ({"window_sizes": []}, ValueError),
        ({"window_sizes": [0, 100]}, ValueError),
        ({"columns": ["x", "absent"]}, SchemaError),
        ({"prediction": "absent"}, SchemaError),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        redline.fit_reference(_frame(), **{"window_sizes": SIZES, **kwargs})


def test_one_row_is_not_a_reference() -> None:
    with pytest.raises(DataError, match="at least 2 rows"):
        redline.fit_reference({"x": [1.0]})
