"""Path and query parameters shared by the routes, bounded so bad input never reaches SQL."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from redline.api.schemas import INT32

__all__ = ["IdPath", "KeyPath", "Limit", "ModelPath", "ModelQuery"]

_PRINTABLE = r"^[^\x00-\x1f]+$"

ModelPath = Annotated[
    str, Path(min_length=1, max_length=200, pattern=_PRINTABLE, description="The model's name.")
]
KeyPath = Annotated[
    str,
    Path(min_length=1, max_length=64, pattern=_PRINTABLE, description="An incident key."),
]
IdPath = Annotated[int, Path(ge=1, le=INT32)]
ModelQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=200, pattern=_PRINTABLE, description="Only this model."),
]
Limit = Annotated[int, Query(ge=1, le=1000, description="At most this many items.")]
