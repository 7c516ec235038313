"""Every store module lists its public names, and the package re-exports the new ones."""

from __future__ import annotations

import importlib

import pytest

import redline.store

MODULES = [
    "redline.store.conflicts",
    "redline.store.queries_actions",
    "redline.store.queries_incidents",
    "redline.store.queries_serving",
    "redline.store.queries_timeline",
    "redline.store.tables_actions",
    "redline.store.tables_incidents",
    "redline.store.tables_serving",
]


@pytest.mark.parametrize("module", MODULES)
def test_all_lists_every_public_name_and_the_package_exports_it(module: str) -> None:
    namespace = importlib.import_module(module)
    public = {
        name
        for name, value in vars(namespace).items()
        if not name.startswith("_") and callable(value) and value.__module__ == module
    }
    assert public <= set(namespace.__all__)
    assert set(namespace.__all__) <= set(redline.store.__all__)
    assert all(
        getattr(redline.store, name) is getattr(namespace, name) for name in namespace.__all__
    )
