"""Vectorised encoding of raw column values onto a reference's bins and vocabularies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CategoricalCodes",
    "NumericValues",
    "encode_categorical",
    "numeric_values",
    "text_descriptor",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class NumericValues:
    """Finite values of a numeric column and counts of what could not be used."""

    finite: FloatArray
    n_null: int
    n_nonfinite: int
    n_invalid: int


def numeric_values(values: Any) -> NumericValues:
    """Split a column into finite floats, nulls (None/NaN), ±inf and non-numeric values."""
    import pandas as pd

    arr = values if isinstance(values, np.ndarray) else np.asarray(values)
    n_invalid = 0
    if arr.dtype.kind not in "biuf":
        raw = np.asarray(arr, dtype=object)
        null_mask = pd.isna(raw)
        converted = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=np.float64)
        n_invalid = int(np.count_nonzero(np.isnan(converted) & ~null_mask))
        arr = converted
    elif arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    finite_mask = np.isfinite(arr)
    n_finite = int(np.count_nonzero(finite_mask))
    if n_finite == arr.size:
        return NumericValues(arr, 0, 0, n_invalid)
    bad = arr[~finite_mask]
    n_nan = int(np.count_nonzero(np.isnan(bad)))
    return NumericValues(arr[finite_mask], n_nan - n_invalid, bad.size - n_nan, n_invalid)


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


def encode_categorical(vocab: tuple[str, ...], values: Any) -> CategoricalCodes:
    """Map values onto ``vocab``; nulls are dropped and counted, the rest that miss are unseen."""
    import pandas as pd

    other = len(vocab)
    if isinstance(values, pd.Categorical):
        cat_codes = _lookup(vocab, [_as_label(c) for c in values.categories])
        raw_codes = np.asarray(values.codes, dtype=np.int64)
        valid = raw_codes >= 0
        mapped = np.where(cat_codes[raw_codes[valid]] < 0, other, cat_codes[raw_codes[valid]])
        miss = cat_codes[raw_codes[valid]] < 0
        unseen = np.asarray(values.categories, dtype=object)[raw_codes[valid][miss]]
        unseen = np.array([_as_label(v) for v in unseen], dtype=object)
        return CategoricalCodes(mapped.astype(np.int64), int((~valid).sum()), unseen)
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


def text_descriptor(values: Any, descriptor: str) -> FloatArray:
    """A numeric descriptor of a text column: ``length`` (characters) or ``words``."""
    import pandas as pd

    series = pd.Series(np.asarray(values, dtype=object)).astype("string")
    if descriptor == "length":
        out = series.str.len()
    elif descriptor == "words":
        out = series.str.split().str.len()
    else:
        raise ValueError(f"unknown text descriptor {descriptor!r}; use 'length' or 'words'")
    result: FloatArray = out.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    return result
