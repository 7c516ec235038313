"""Infer how a column should be profiled from its values."""

from __future__ import annotations

from typing import Any

import numpy as np

from redline.domain import ColumnKind
from redline.profiles.arrow import arrow_module

__all__ = ["infer_kind"]

_SAMPLE = 2_000
_TEXT_MEAN_CHARS = 40


def infer_kind(values: Any) -> ColumnKind | None:
    """The kind of a column, or None when it is not profiled (dates, nested objects).

    >>> infer_kind(np.array([1.5, 2.0])), infer_kind(np.array(["a", "b"], dtype=object))
    (<ColumnKind.NUMERIC: 'numeric'>, <ColumnKind.CATEGORICAL: 'categorical'>)
    """
    import pandas as pd

    pa = arrow_module()
    if isinstance(values, pd.Categorical):
        return ColumnKind.CATEGORICAL
    if pa is not None and isinstance(values, pa.Array | pa.ChunkedArray):
        # Only the head is looked at below, so convert only the head (strings become objects).
        values = np.asarray(values.slice(0, _SAMPLE))
    arr = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if arr.dtype.kind == "b":
        return ColumnKind.BOOLEAN
    if arr.dtype.kind in "iuf":
        return ColumnKind.NUMERIC
    if arr.dtype.kind != "O":
        return None
    sample = [v for v in arr[:_SAMPLE].tolist() if v is not None and not _is_nan(v)]
    if not sample:
        return ColumnKind.CATEGORICAL
    if all(isinstance(v, bool | np.bool_) for v in sample):
        return ColumnKind.BOOLEAN
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in sample):
        return ColumnKind.NUMERIC
    if all(isinstance(v, str) for v in sample):
        mean_chars = sum(len(v) for v in sample) / len(sample)
        return ColumnKind.TEXT if mean_chars > _TEXT_MEAN_CHARS else ColumnKind.CATEGORICAL
    if any(isinstance(v, dict | list | tuple | set) for v in sample):
        return None
    return ColumnKind.CATEGORICAL


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value
