"""The fixtures the snapshot tests share: one fitted world per module, a store that knows it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from snapshot_world import World, build_world, register

from redline.store import Store

__all__ = ["store_fixture", "world_fixture"]


def world_fixture() -> Any:
    """A module-scoped ``world`` fixture: the model fitted and saved once per module."""

    @pytest.fixture(scope="module", name="world")
    def world(tmp_path_factory: pytest.TempPathFactory) -> World:
        return build_world(tmp_path_factory.mktemp("world"))

    return world


def store_fixture() -> Any:
    """A ``store`` fixture: the empty store of ``migrated_url`` with the world's model registered."""

    @pytest.fixture(name="store")
    def store(migrated_url: str, world: World) -> Iterator[Store]:
        opened = Store.from_url(migrated_url)
        register(opened, world)
        yield opened
        opened.dispose()

    return store
