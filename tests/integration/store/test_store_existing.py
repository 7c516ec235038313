"""Store URLs are checked before connecting; read-only opening never creates or migrates."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from redline.errors import StoreError
from redline.store import (
    create_engine_for,
    current_revision,
    downgrade,
    head_revision,
    open_existing,
    parse_store_url,
    upgrade,
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("redline.db", "store URL 'redline.db' has no scheme"),
        ("user:s3cret@host/db", "store URL 'user:***@host/db' has no scheme"),
        ("mysql+pymysql://u:s3cret@h/db", "'mysql' is not supported"),
        ("postgres://u@h/db", "write postgresql://, not postgres://"),
    ],
)
def test_a_bad_url_is_refused_before_any_connection(url: str, message: str) -> None:
    with pytest.raises(StoreError) as caught:
        create_engine_for(url)
    assert message in str(caught.value)
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:x?uri=true"])
def test_in_memory_and_uri_sqlite_urls_pass(url: str) -> None:
    assert parse_store_url(url).get_backend_name() == "sqlite"


def test_a_missing_sqlite_file_is_never_created(tmp_path: Path) -> None:
    path = tmp_path / "redline.db"
    with pytest.raises(StoreError, match="does not exist; create or migrate it with"):
        open_existing(f"sqlite:///{path}")
    assert not path.exists()


def test_an_unmigrated_database_is_refused_and_left_alone(empty_url: str) -> None:
    engine = create_engine_for(empty_url)
    try:
        with engine.connect():  # the database exists (on SQLite, this makes the file)
            pass
        with pytest.raises(StoreError, match="holds no redline store"):
            open_existing(empty_url)
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_a_store_behind_the_newest_migration_is_refused(empty_url: str) -> None:
    upgrade(empty_url)
    downgrade(empty_url, "-1")
    engine = create_engine_for(empty_url)
    try:
        before = current_revision(engine)
        with pytest.raises(StoreError, match=f"at migration {before}, this redline reads"):
            open_existing(empty_url)
        assert current_revision(engine) == before != head_revision()
    finally:
        engine.dispose()


def test_a_migrated_store_opens(empty_url: str) -> None:
    upgrade(empty_url)
    store = open_existing(empty_url)
    try:
        assert current_revision(store.engine) == head_revision()
    finally:
        store.dispose()


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the pages of a SQLite database" * 100)
    with pytest.raises(StoreError, match="cannot read the store at sqlite:///"):
        open_existing(f"sqlite:///{path}")
