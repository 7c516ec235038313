"""Store.session() owns the transaction; SQLite connections are configured for concurrency."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from redline.store import Store, add_window, get_window

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _add_then_fail(store: Store) -> None:
    with store.session() as session:
        add_window(session, window_id="lost", model="m", start=T0, end=T0, n_rows=1, payload={})
        raise RuntimeError("boom")


def test_session_commits_on_success_and_rolls_back_on_error(migrated_url: str) -> None:
    store = Store.from_url(migrated_url)
    try:
        with store.session() as session:
            add_window(session, window_id="kept", model="m", start=T0, end=T0, n_rows=1, payload={})
        with pytest.raises(RuntimeError, match="boom"):
            _add_then_fail(store)
        with store.session() as session:
            kept = get_window(session, window_id="kept")
            assert get_window(session, window_id="lost") is None
        assert kept is not None
        assert kept.start == T0  # still readable after the session closed
    finally:
        store.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path}/redline.db")
    try:
        with store.engine.connect() as connection:
            pragmas = {
                name: connection.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        store.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}
    assert "redline.db" in repr(store)
