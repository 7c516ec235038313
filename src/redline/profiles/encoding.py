"""Vectorised encoding of raw column values onto a reference's bins and vocabularies."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from redline.profiles.arrow import arrow_module

__all__ = [
    "CategoricalCodes",
    "NumericValues",
    "arrow_strings",
    "encode_categorical",
    "label_codes",
    "numeric_values",
    "text_descriptor",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class NumericValues:
    """Finite values of a numeric column, their range, and counts of what could not be used."""

    finite: FloatArray
    n_null: int
    n_nonfinite: int
    n_invalid: int
    min: float = math.inf
    max: float = -math.inf


def numeric_values(values: Any) -> NumericValues:
    """Split a column into finite floats, nulls (None/NaN), ±inf and non-numeric values."""
    arr = values if isinstance(values, np.ndarray) else np.asarray(values)
    n_invalid = 0
    if arr.dtype.kind not in "biuf":
        arr, n_invalid = _coerce_numeric(arr)
    elif arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    if arr.size:
        # The range is needed anyway, and is finite only when every value is (NaN propagates).
        lo, hi = float(arr.min()), float(arr.max())
        if math.isfinite(lo) and math.isfinite(hi):
            return NumericValues(arr, 0, 0, n_invalid, lo, hi)
    finite_mask = np.isfinite(arr)
    finite, bad = arr[finite_mask], arr[~finite_mask]
    n_nan = int(np.count_nonzero(np.isnan(bad)))
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (math.inf, -math.inf)
    return NumericValues(finite, n_nan - n_invalid, bad.size - n_nan, n_invalid, lo, hi)


def _coerce_numeric(arr: NDArray[Any]) -> tuple[FloatArray, int]:
    import pandas as pd

    raw = np.asarray(arr, dtype=object)
    null_mask = pd.isna(raw)
    converted = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=np.float64)
    return converted, int(np.count_nonzero(np.isnan(converted) & ~null_mask))


@dataclass(frozen=True, slots=True)
class CategoricalCodes:
    """Positions in the vocabulary (``len(vocab)`` for unseen) and the unseen raw values."""

    codes: IntArray
    n_null: int
    unseen: NDArray[np.object_]


def _as_label(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _lookup(vocab: tuple[str, ...], values: Any) -> IntArray:
    import pandas as pd

    index = pd.Index(list(vocab), dtype=object)
    result: IntArray = index.get_indexer(values).astype(np.int64)
    return result


def arrow_strings(values: Any) -> Any:
    """``values`` as an Arrow string array when they are strings and nulls only, else None.

    >>> arrow_strings(np.array(["a", None, np.nan], dtype=object)).null_count
    2
    >>> arrow_strings(np.array(["a", 1], dtype=object)) is None
    True
    """
    pa = arrow_module()
    if pa is None:  # without pyarrow every string column takes the pandas path
        return None
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values if _is_string_type(values.type) else None
    if not (isinstance(values, np.ndarray) and values.dtype == object):
        return None
    try:
        converted = pa.array(values, from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # mixed types, or text UTF-8 cannot encode
        return None
    # Inferred, not forced: a forced string type would also take bytes, which label differently.
    return converted if _is_string_type(converted.type) else None


def _is_string_type(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _encode_strings(vocab: tuple[str, ...], strings: Any) -> CategoricalCodes:
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(strings, value_set=pa.array(vocab, type=strings.type))
    codes = pc.fill_null(found, len(vocab)) if found.null_count else found
    n_null = int(strings.null_count)
    if n_null:
        codes = codes.filter(strings.is_valid())
    unseen = np.empty(0, dtype=object)
    if found.null_count > n_null:
        missed = pc.and_(found.is_null(), strings.is_valid())
        unseen = np.asarray(strings.filter(missed), dtype=object)
    return CategoricalCodes(np.asarray(codes).astype(np.int64), n_null, unseen)


def encode_categorical(vocab: tuple[str, ...], values: Any) -> CategoricalCodes:
    """Map values onto ``vocab``; nulls are dropped and counted, the rest that miss are unseen.

    >>> coded = encode_categorical(("a", "b"), np.array(["b", None, "z", "a"], dtype=object))
    >>> coded.codes.tolist(), coded.n_null, coded.unseen.tolist()
    ([1, 2, 0], 1, ['z'])
    """
    import pandas as pd

    if isinstance(values, pd.Categorical):
        return _encode_categories(vocab, values)
    if isinstance(values, np.ndarray) and values.dtype == object:
        per_row = label_codes(vocab, values)
        if per_row is not None:
            return _encode_rows(vocab, values, per_row)
    strings = arrow_strings(values)
    if strings is not None:
        return _encode_strings(vocab, strings)
    other = len(vocab)
    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    if arr.dtype.kind == "b":
        arr = np.where(arr, "true", "false").astype(object)
    codes = _lookup(vocab, arr)
    missing = np.flatnonzero(codes < 0)
    if missing.size == 0:
        return CategoricalCodes(codes, 0, np.empty(0, dtype=object))
    leftover = arr[missing]
    null_mask = np.asarray(pd.isna(leftover), dtype=bool)
    labels = np.array([_as_label(v) for v in leftover[~null_mask]], dtype=object)
    second = _lookup(vocab, labels) if labels.size else np.empty(0, dtype=np.int64)
    keep = np.ones(codes.size, dtype=bool)
    keep[missing[null_mask]] = False
    codes[missing[~null_mask]] = np.where(second < 0, other, second)
    return CategoricalCodes(codes[keep], int(null_mask.sum()), labels[second < 0])


@functools.lru_cache(maxsize=256)
def _positions(vocab: tuple[str, ...]) -> dict[str, int]:
    return {label: i for i, label in enumerate(vocab)}


def label_codes(vocab: tuple[str, ...], values: NDArray[np.object_]) -> IntArray | None:
    """Each row's position in ``vocab`` (``len(vocab)`` if unseen, -1 if null), or None.

    Only for columns of ``str`` values and nulls (None, NaN, pd.NA, NaT), the common case: each
    distinct value is looked up once, then the rows take their value's code. None for any other
    column, whose values need :func:`encode_categorical`'s labelling rules.

    >>> label_codes(("a", "b"), np.array(["b", None, "z", "a"], dtype=object)).tolist()
    [1, -1, 2, 0]
    >>> label_codes(("a", "b"), np.array(["b", 1], dtype=object)) is None
    True
    """
    import pandas as pd

    rows, distinct = pd.factorize(values)  # the nulls pd.isna sees become -1
    if not all(type(value) is str for value in distinct):
        return None
    positions, other = _positions(vocab), len(vocab)
    lookup = np.array([positions.get(value, other) for value in distinct] + [-1], dtype=np.int64)
    codes: IntArray = lookup[rows]  # a row's -1 picks the trailing -1
    return codes


def _encode_rows(
    vocab: tuple[str, ...], values: NDArray[np.object_], per_row: IntArray
) -> CategoricalCodes:
    n_null = int(np.count_nonzero(per_row < 0))
    codes = per_row[per_row >= 0] if n_null else per_row
    unseen_rows = np.flatnonzero(per_row == len(vocab))
    unseen = values[unseen_rows] if unseen_rows.size else np.empty(0, dtype=object)
    return CategoricalCodes(codes, n_null, unseen)


def _encode_categories(vocab: tuple[str, ...], values: Any) -> CategoricalCodes:
    other = len(vocab)
    cat_codes = _lookup(vocab, [_as_label(c) for c in values.categories])
    raw_codes = np.asarray(values.codes, dtype=np.int64)
    valid = raw_codes >= 0
    mapped = np.where(cat_codes[raw_codes[valid]] < 0, other, cat_codes[raw_codes[valid]])
    miss = cat_codes[raw_codes[valid]] < 0
    unseen = np.asarray(values.categories, dtype=object)[raw_codes[valid][miss]]
    unseen = np.array([_as_label(v) for v in unseen], dtype=object)
    return CategoricalCodes(mapped.astype(np.int64), int((~valid).sum()), unseen)


def text_descriptor(values: Any, descriptor: str) -> FloatArray:
    """A numeric descriptor of a text column: ``length`` (characters) or ``words``."""
    import pandas as pd

    pa = arrow_module()
    series: pd.Series[str]
    if (
        pa is not None
        and isinstance(values, pa.Array | pa.ChunkedArray)
        and _is_string_type(values.type)
    ):
        series = pd.Series(pd.array(values, dtype="string"), dtype="string")
    else:
        series = pd.Series(np.asarray(values, dtype=object)).astype("string")
    if descriptor == "length":
        out = series.str.len()
    elif descriptor == "words":
        # pandas-stubs give split lists' .str no len(); pandas has it (Python str.split rules).
        out = cast(Any, series.str.split()).str.len()
    else:
        raise ValueError(f"unknown text descriptor {descriptor!r}; use 'length' or 'words'")
    floats = out.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(floats, dtype=np.float64)
