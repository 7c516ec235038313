"""The RedlineError tree: every error a user can see, with a message that says what to do."""

from __future__ import annotations

__all__ = [
    "DataError",
    "MissingExtraError",
    "RedlineError",
    "ReferenceFileError",
    "SchemaError",
    "StoreBusyError",
    "StoreError",
]


class RedlineError(Exception):
    """Base of every error redline raises on purpose."""


class DataError(RedlineError, ValueError):
    """Input data cannot be read or has no usable columns."""


class SchemaError(DataError):
    """Columns or kinds do not match what was declared or fitted."""


class ReferenceFileError(RedlineError):
    """A saved reference file is missing, corrupted, or of an unknown version."""


class StoreError(RedlineError):
    """The store cannot be reached or holds something unexpected."""


class StoreBusyError(StoreError):
    """Another writer holds the store's lock longer than the wait allows (SQLite): retry."""


class MissingExtraError(RedlineError):
    """A feature needs an optional extra that is not installed: the message says which."""

    def __init__(self, extra: str, *, needed_for: str) -> None:
        super().__init__(f"{needed_for} needs redline[{extra}]: pip install 'redline[{extra}]'")
        self.extra = extra
