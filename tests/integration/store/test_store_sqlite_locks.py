"""SQLite transactions: session() takes the write lock first, so a read then a write never
fails on another writer's commit; reading() never waits for a writer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from redline.store import Session, Store
from rltest.stores import copy_sqlite_template


@pytest.fixture
def stores(sqlite_template_file: Path, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two stores (two engines, as two processes would have) on one migrated SQLite file."""
    url = copy_sqlite_template(sqlite_template_file, tmp_path)
    first, second = Store.from_url(url), Store.from_url(url)
    with first.session() as session:
        session.execute(text("CREATE TABLE marks (name TEXT)"))
    yield first, second
    first.dispose()
    second.dispose()


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM marks")).scalar_one())


def test_a_read_then_write_waits_for_the_other_writer_instead_of_failing(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    holding, read_done, failures = threading.Event(), threading.Event(), []

    def other_writer() -> None:
        with first.session() as session:
            session.execute(text("INSERT INTO marks VALUES ('first')"))
            holding.set()
            # Deferred, the reader below reads now and its write fails on this commit;
            # IMMEDIATE, it cannot begin until this commits, so this wait runs out.
            read_done.wait(timeout=0.5)

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert holding.wait(timeout=10)
    try:
        with second.session() as session:
            seen = _count(session)
            read_done.set()
            thread.join(timeout=10)
            session.execute(text("INSERT INTO marks VALUES ('second')"))
    except Exception as exc:  # "database is locked" without BEGIN IMMEDIATE
        failures.append(exc)
    thread.join(timeout=10)
    assert failures == []
    assert seen == 1  # it began after the other writer committed
    with second.reading() as session:
        assert _count(session) == 2


def test_a_reader_does_not_wait_for_a_writer(stores: tuple[Store, Store]) -> None:
    first, second = stores
    with first.session() as writing:
        writing.execute(text("INSERT INTO marks VALUES ('uncommitted')"))
        with second.reading() as session:  # would wait 5 s and fail if it took the lock
            assert _count(session) == 0
    with second.reading() as session:
        assert _count(session) == 1
