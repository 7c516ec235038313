"""pyarrow when it is installed (the ``parquet`` extra): Parquet files and fast string columns.

Without it, string columns take the pandas path (the same labels and counts) and a value can
never be an Arrow array, so every ``isinstance`` check against Arrow types is skipped.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

from redline.errors import MissingExtraError

__all__ = ["arrow_module", "require_arrow"]


@functools.cache
def arrow_module() -> ModuleType | None:
    """The ``pyarrow`` module (with ``pyarrow.compute`` loaded), or None when not installed."""
    try:
        module = importlib.import_module("pyarrow")
        importlib.import_module("pyarrow.compute")  # callers use it as pyarrow.compute
    except ImportError:
        return None
    return module


def require_arrow(needed_for: str) -> ModuleType:
    """The ``pyarrow`` module, or a MissingExtraError naming the ``parquet`` extra."""
    module = arrow_module()
    if module is None:
        raise MissingExtraError("parquet", needed_for=needed_for)
    return module
