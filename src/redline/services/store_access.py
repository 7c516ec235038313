"""Opening the store for a use case, and the store types entry points hold or catch."""

from __future__ import annotations

from redline.store import (
    RouteListener,
    StaleChainError,
    StaleRevisionError,
    Store,
    open_existing,
    upgrade,
)

__all__ = [
    "RouteListener",
    "StaleChainError",
    "StaleRevisionError",
    "Store",
    "open_existing_store",
    "open_store",
]


def open_store(url: str) -> Store:
    """A store at ``url`` with its schema migrated to the latest revision."""
    upgrade(url)
    return Store.from_url(url)


def open_existing_store(url: str, *, at_head: bool = True) -> Store:
    """The store at ``url`` for reading only: never created or migrated (StoreError if absent)."""
    return open_existing(url, at_head=at_head)
