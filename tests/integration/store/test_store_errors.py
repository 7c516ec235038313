"""Unreachable stores raise StoreError with a clear message and no password."""

from __future__ import annotations

from pathlib import Path

import pytest

from redline.errors import StoreError
from redline.store import Store, upgrade


def test_an_unreachable_postgresql_raises_store_error() -> None:
    store = Store.from_url("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/x")
    try:
        with pytest.raises(StoreError) as caught, store.session() as session:
            session.connection()
    finally:
        store.dispose()
    message = str(caught.value)
    assert (
        "cannot connect to the store at postgresql+psycopg://postgres:***@127.0.0.1:1/x" in message
    )
    assert "s3cret" not in message


def test_a_sqlite_file_in_a_missing_directory_raises_store_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'redline.db'}"
    with pytest.raises(
        StoreError, match=r"directory '.*missing' of the SQLite file does not exist"
    ):
        upgrade(url)
    assert not (tmp_path / "missing").exists()
