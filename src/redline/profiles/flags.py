"""Which rows of a batch break the reference's expectations (for the window's flagged rows)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.profiles.encoding import arrow_strings, encode_categorical
from redline.profiles.specs import CategoricalSpec, ColumnSpec, NumericSpec

__all__ = ["flag_mask", "tracks_unseen"]

BoolArray = NDArray[np.bool_]


def tracks_unseen(spec: CategoricalSpec) -> bool:
    """Whether an unseen value is news: the vocabulary holds every reference label."""
    other_share = float(spec.counts[-1] / spec.counts.sum()) if spec.counts.sum() else 0.0
    return other_share <= 2.0 * spec.unseen_share + 1e-12


def _numeric_mask(spec: NumericSpec, values: Any) -> BoolArray:
    import pandas as pd

    arr = values if isinstance(values, np.ndarray) else np.asarray(values, dtype=object)
    invalid = np.zeros(len(arr), dtype=bool)
    if arr.dtype.kind in "biuf":
        x = arr.astype(np.float64, copy=False)
    else:
        raw = np.asarray(arr, dtype=object)
        x = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=np.float64)
        invalid = np.isnan(x) & ~np.asarray(pd.isna(raw), dtype=bool)
    with np.errstate(invalid="ignore"):
        outside = (x < spec.edges[0]) | (x >= spec.edges[-1])
    mask: BoolArray = np.isinf(x) | invalid | outside
    return mask


def _categorical_mask(spec: CategoricalSpec, values: Any) -> BoolArray:
    strings = arrow_strings(values)
    if strings is not None:  # then pyarrow is installed
        import pyarrow as pa
        import pyarrow.compute as pc

        known = pc.is_in(strings, value_set=pa.array(spec.vocab, type=strings.type))
        flagged = pc.and_(pc.invert(known), strings.is_valid())
        return np.asarray(flagged.to_numpy(zero_copy_only=False), dtype=bool)
    n = len(values)
    mask = np.zeros(n, dtype=bool)
    for i in range(n):  # rare path: mixed-type columns that Arrow cannot take whole
        coded = encode_categorical(spec.vocab, [values[i]])
        mask[i] = coded.unseen.size > 0
    return mask


def flag_mask(spec: ColumnSpec, values: Any) -> BoolArray:
    """Rows whose value is out of range, ±inf, not a number, or an unseen category."""
    if isinstance(spec, NumericSpec):
        return _numeric_mask(spec, values)
    return _categorical_mask(spec, values)
