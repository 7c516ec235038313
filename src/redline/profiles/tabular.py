"""Turn user data (DataFrame, dict of arrays, list of dicts, CSV or Parquet path) into columns."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from redline.errors import DataError
from redline.profiles.arrow import arrow_module, require_arrow

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Columns", "TableLike", "n_rows_of", "read_table", "to_columns", "values_at"]

Columns: TypeAlias = dict[str, Any]
"""Column name to a 1-d numpy array, a pandas Categorical, or an Arrow string array."""

TableLike: TypeAlias = Any
"""A pandas DataFrame, a mapping of column name to array, a list of row dicts, or a path."""

_PARQUET_SUFFIXES = {".parquet", ".pq"}
_CSV_SUFFIXES = {".csv", ".tsv", ".txt"}


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV or Parquet file, with a clear error when it cannot be read."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file")
    suffix = p.suffix.lower()
    try:
        if suffix in _PARQUET_SUFFIXES:
            require_arrow("reading Parquet files")
            return pd.read_parquet(p)
        if suffix in _CSV_SUFFIXES:
            return pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{p}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise DataError(f"{p}: the file is empty") from exc
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        raise DataError(f"{p}: cannot be read as {suffix[1:]}: {exc}") from exc
    raise DataError(f"{p}: unknown file type {suffix or '(none)'}; use .csv, .tsv or .parquet")


def _from_frame(frame: pd.DataFrame) -> Columns:
    import pandas as pd

    out: Columns = {}
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            out[str(name)] = series.array
        elif _is_arrow_string(series.dtype):  # then pyarrow is installed
            import pyarrow as pa

            out[str(name)] = pa.array(series)  # the Arrow buffers themselves, no Python strings
        else:
            out[str(name)] = series.to_numpy()
    return out


def _is_arrow_string(dtype: Any) -> bool:
    import pandas as pd

    if isinstance(dtype, pd.StringDtype):
        return dtype.storage in ("pyarrow", "pyarrow_numpy")  # the latter: pandas 2.1-2.2
    if isinstance(dtype, pd.ArrowDtype):  # only made with pyarrow installed
        import pyarrow as pa

        arrow_type = dtype.pyarrow_dtype
        return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))
    return False


def values_at(values: Any, positions: NDArray[np.intp]) -> list[Any]:
    """The values of one column at ``positions``, as a list (Arrow values as Python objects)."""
    pa = arrow_module()
    if pa is not None and isinstance(values, pa.Array | pa.ChunkedArray):
        return list(values.take(pa.array(positions)).to_pylist())
    if isinstance(values, np.ndarray):
        return list(values[positions].tolist())
    return [values[i] for i in positions]


def _from_records(rows: Sequence[Mapping[str, Any]]) -> Columns:
    names: dict[str, None] = {}
    for row in rows:
        if not isinstance(row, Mapping):
            raise DataError(f"a list of rows must hold dicts; found {type(row).__name__}")
        names.update(dict.fromkeys(row))
    out: Columns = {}
    for name in names:
        values = [row.get(name) for row in rows]
        out[str(name)] = _as_array(values)
    return out


def _as_array(values: Any) -> Any:
    arr = np.asarray(values) if not isinstance(values, np.ndarray) else values
    if arr.dtype.kind in "US":
        return arr.astype(object)
    if arr.ndim != 1:
        raise DataError(f"each column must be one-dimensional; got shape {arr.shape}")
    if arr.dtype.kind == "O" or arr.dtype.kind in "biufcM":
        return arr
    return arr.astype(object)


def to_columns(data: TableLike) -> Columns:
    """Columns of ``data`` as arrays, without copying where the input allows it."""
    import pandas as pd

    if isinstance(data, str | os.PathLike):
        return _from_frame(read_table(data))
    if isinstance(data, pd.DataFrame):
        return _from_frame(data)
    if isinstance(data, Mapping):
        out: Columns = {}
        for name, values in data.items():
            if isinstance(values, pd.Categorical):
                out[str(name)] = values
            elif isinstance(values, pd.Series):
                out.update(_from_frame(values.to_frame(str(name))))
            else:
                out[str(name)] = _as_array(values)
        _check_lengths(out)
        return out
    if isinstance(data, Sequence) and not isinstance(data, bytes):
        return _from_records(data)
    raise DataError(
        f"cannot read data of type {type(data).__name__}: pass a pandas DataFrame, a dict of "
        "arrays, a list of row dicts, or a path to a .csv or .parquet file"
    )


def _check_lengths(columns: Columns) -> None:
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise DataError(f"columns have different lengths: {detail}")


def n_rows_of(columns: Columns) -> int:
    """Number of rows (0 for no columns)."""
    return len(next(iter(columns.values()))) if columns else 0
