"""PostgreSQL connections carry bounded waits: statement and lock timeouts, TCP keepalives."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from redline.store import Store, upgrade


def test_connections_carry_timeouts_and_keep_the_urls_own_options(store_url: str) -> None:
    if not store_url.startswith("postgresql"):
        pytest.skip("statement timeouts and keepalives are PostgreSQL settings")
    store = Store.from_url(store_url)
    try:
        with store.engine.connect() as connection:
            shown = {
                name: connection.execute(text(f"SHOW {name}")).scalar()
                for name in ("statement_timeout", "lock_timeout", "search_path")
            }
            dsn = connection.connection.dbapi_connection.info.dsn  # type: ignore[union-attr]
    finally:
        store.dispose()
    assert shown["statement_timeout"] == "5s"
    assert shown["lock_timeout"] == "4s"
    assert str(shown["search_path"]).startswith("redline_test_")  # the test URL's own option
    assert "keepalives_idle=10" in dsn
    assert "tcp_user_timeout=30000" in dsn
    upgrade(store_url)  # migrations run without the statement limit (and are idempotent here)
