"""Every pooled connection in use past the pool timeout is a busy store (503), not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from redline.errors import StoreBusyError
from redline.store import Store


def test_waiting_past_the_pool_timeout_raises_store_busy(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, max_overflow=0, pool_timeout=0.05
    )
    store = Store(engine)
    try:
        with store.reading() as held:  # the pool's only connection
            held.execute(text("SELECT 1"))
            with (
                pytest.raises(StoreBusyError, match="no database connection was free in time"),
                store.reading() as waiting,
            ):
                waiting.execute(text("SELECT 1"))
            with (
                pytest.raises(StoreBusyError, match="QueuePool limit of size 1"),
                store.session() as writing,
            ):
                writing.execute(text("SELECT 1"))
    finally:
        store.dispose()
