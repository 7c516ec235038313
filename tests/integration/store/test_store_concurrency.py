"""Concurrent writers on separate engines: incident keys, chain appends, route revisions."""

from __future__ import annotations

import hashlib
import queue
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from redline.domain import Severity
from redline.store import (
    StaleChainError,
    StaleRevisionError,
    Store,
    add_audit_entry,
    add_incident,
    add_route_state,
    get_last_audit_entry,
    list_audit,
    next_incident_key,
    try_lock,
    upgrade,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
GENESIS = "0" * 64
_T = TypeVar("_T")


@pytest.fixture
def stores(migrated_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores (two engines, two connection pools) on one migrated database."""
    first, second = Store.from_url(migrated_url), Store.from_url(migrated_url)
    yield first, second
    first.dispose()
    second.dispose()


def _in_thread(pool: ThreadPoolExecutor, store: Store, work: Callable[[Session], _T]) -> Future[_T]:
    """Run ``work`` in its own committed transaction on another thread; report its backend pid."""
    pids: queue.Queue[int | None] = queue.Queue()

    def run() -> _T:
        with store.session() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            pids.put(
                session.execute(text("SELECT pg_backend_pid()")).scalar() if postgres else None
            )
            return work(session)

    future = pool.submit(run)
    _wait_until_blocked(store.engine, pids.get(timeout=30))
    return future


def _wait_until_blocked(engine: Engine, pid: int | None) -> None:
    """On PostgreSQL, wait until backend ``pid`` waits on a lock; SQLite cannot tell."""
    if pid is None:
        return
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            waiting = connection.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar()
        if waiting == "Lock":
            return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited on a lock")


def _audit(session: Session, *, action: str, prev_hash: str) -> str:
    digest = hashlib.sha256(f"{prev_hash}{action}".encode()).hexdigest()
    add_audit_entry(
        session,
        at=T0,
        actor="system",
        action=action,
        target="t",
        details={},
        prev_hash=prev_hash,
        hash=digest,
    )
    return digest


def test_a_second_session_waits_for_the_first_and_gets_the_next_key(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    with ThreadPoolExecutor(1) as pool:
        with first.session() as session:
            key = next_incident_key(session, year=2026)
            later = _in_thread(pool, second, lambda s: next_incident_key(s, year=2026))
            assert not later.done()  # the counter row stays locked until the first commits
        assert (key, later.result(timeout=30)) == ("RL-2026-0001", "RL-2026-0002")


def test_many_concurrent_incidents_get_unique_consecutive_keys(
    stores: tuple[Store, Store],
) -> None:
    def open_incidents(store: Store) -> list[str]:
        keys = []
        for _ in range(5):
            with store.session() as session:
                keys.append(
                    add_incident(
                        session,
                        model="m",
                        title="t",
                        category="c",
                        severity=Severity.SEV3,
                        policy_version="p",
                        detected_at=T0,
                    ).key
                )
        return keys

    with ThreadPoolExecutor(4) as pool:
        results = [pool.submit(open_incidents, stores[i % 2]) for i in range(4)]
        keys = [key for future in results for key in future.result(timeout=60)]
    assert sorted(keys) == [f"RL-2026-{n:04d}" for n in range(1, 21)]
    for worker_keys in (future.result() for future in results):
        assert worker_keys == sorted(worker_keys)  # increasing within each writer


def test_locked_appenders_take_turns_and_keep_one_chain(stores: tuple[Store, Store]) -> None:
    first, second = stores

    def append_after_last(session: Session, action: str) -> str:
        last = get_last_audit_entry(session, lock=True)
        return _audit(session, action=action, prev_hash=GENESIS if last is None else last.hash)

    with ThreadPoolExecutor(1) as pool:
        with first.session() as session:
            head = append_after_last(session, "first")
            later = _in_thread(pool, second, lambda s: append_after_last(s, "second"))
        later.result(timeout=30)
    with first.session() as session:
        entries = list_audit(session)
    assert [(e.seq, e.action) for e in entries] == [(1, "first"), (2, "second")]
    assert entries[1].prev_hash == head


def test_an_unlocked_append_that_loses_the_race_is_a_stale_chain_error(
    migrated_postgresql_url: str,
) -> None:
    url = migrated_postgresql_url
    first, second = Store.from_url(url), Store.from_url(url)
    try:
        with first.session() as session:
            head = _audit(session, action="genesis", prev_hash=GENESIS)
        with ThreadPoolExecutor(1) as pool:
            with first.session() as session:
                _audit(session, action="winner", prev_hash=head)
                # Reads entry 1 (the winner is not committed), then waits on seq 2's index entry.
                loser = _in_thread(
                    pool, second, lambda s: _audit(s, action="loser", prev_hash=head)
                )
            with pytest.raises(StaleChainError, match="entry 2 was written by another writer"):
                loser.result(timeout=30)
    finally:
        first.dispose()
        second.dispose()


def test_concurrent_route_state_writers_of_one_revision_let_one_win(
    migrated_postgresql_url: str,
) -> None:
    url = migrated_postgresql_url
    first, second = Store.from_url(url), Store.from_url(url)

    def write(session: Session, by: str) -> None:
        add_route_state(session, model="m", revision=1, state={"by": by}, created_by=by)

    try:
        with ThreadPoolExecutor(1) as pool:
            with first.session() as session:
                write(session, "alice")
                loser = _in_thread(pool, second, lambda s: write(s, "bob"))
            with pytest.raises(StaleRevisionError, match="written by another writer"):
                loser.result(timeout=30)
    finally:
        first.dispose()
        second.dispose()


@pytest.mark.postgres
def test_a_lock_is_held_per_schema_not_per_database(
    migrated_postgresql_url: str, second_postgresql_url: str
) -> None:
    """Two stores in two schemas of one database each take the lock of the same model; within
    one schema a second taker is refused while the first holds it."""
    upgrade(second_postgresql_url)
    url = migrated_postgresql_url
    mine, same = Store.from_url(url), Store.from_url(url)
    other = Store.from_url(second_postgresql_url)
    try:
        with mine.session() as held:
            assert try_lock(held, name="model:m")
            with same.session() as rival:
                assert not try_lock(rival, name="model:m")
            with other.session() as elsewhere:
                assert try_lock(elsewhere, name="model:m")
    finally:
        for store in (mine, same, other):
            store.dispose()
