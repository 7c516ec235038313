"""Column kinds."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ColumnKind"]


class ColumnKind(StrEnum):
    """How a column is profiled and compared."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"
    TEXT = "text"
