"""The store modules this room added list their public names, and the package exports them."""

from __future__ import annotations

import importlib

import pytest

import redline.store

MODULES = [
    "redline.store.queries_catalog",
    "redline.store.queries_tokens",
    "redline.store.tables_tokens",
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
    assert all(getattr(redline.store, n) is getattr(namespace, n) for n in namespace.__all__)
