"""Opening the store for a use case."""

from __future__ import annotations

from redline.store import Store, upgrade

__all__ = ["open_store"]


def open_store(url: str) -> Store:
    """A store at ``url`` with its schema migrated to the latest revision."""
    upgrade(url)
    return Store.from_url(url)
