"""PostgreSQL behind a silent network (a proxy that stops forwarding while its TCP answers):
every round trip is bounded on the client, answers StoreError, and the store recovers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import make_url, text

from redline.errors import StoreBusyError, StoreError
from redline.store import Store, upgrade
from redline.store.engine import _statement_timeout_s, _unbounded
from rltest.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres

#: A short server statement timeout keeps the test quick: the client waits 1 s longer.
OPTIONS = "-c statement_timeout=1000"


@pytest.fixture
def proxied(migrated_postgresql_url: str) -> Iterator[tuple[Store, TcpProxy]]:
    """A migrated store reached through a TcpProxy, with a 1 s statement timeout."""
    url = make_url(migrated_postgresql_url)
    given = url.query.get("options", "")
    with TcpProxy(url.port or 5432) as proxy:
        through = url.set(port=proxy.port).update_query_dict({"options": f"{given} {OPTIONS}"})
        store = Store.from_url(through.render_as_string(hide_password=False))
        try:
            yield store, proxy
        finally:
            proxy.heal()
            store.dispose()


def _select_one(store: Store) -> int | None:
    with store.reading() as session:
        return session.scalar(text("SELECT 1"))


def _in_thread(work: Callable[[], object], timeout_s: float = 30.0) -> object:
    """Run ``work`` on a thread; what it returned or raised (TimeoutError: still waiting)."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout_s)
    return outcome[0] if outcome else TimeoutError(f"still waiting after {timeout_s} s")


def test_a_pooled_connection_gives_up_on_a_silent_server_and_the_store_recovers(
    proxied: tuple[Store, TcpProxy],
) -> None:
    store, proxy = proxied
    assert _select_one(store) == 1  # a pooled, idle connection now
    proxy.partition()
    failed = _in_thread(lambda: _select_one(store))
    assert isinstance(failed, StoreError), failed
    assert not isinstance(failed, StoreBusyError), failed
    assert "no answer from the database" in str(failed)
    proxy.heal()
    assert _select_one(store) == 1


def test_a_commit_gives_up_on_a_silent_server(proxied: tuple[Store, TcpProxy]) -> None:
    store, proxy = proxied

    def write_then_partition() -> None:
        with store.session() as session:
            session.execute(text("SELECT 1"))
            proxy.partition()  # the COMMIT goes unanswered

    failed = _in_thread(write_then_partition)
    assert isinstance(failed, StoreError), failed
    assert "no answer from the database" in str(failed)
    proxy.heal()
    assert _select_one(store) == 1


def test_a_statement_the_server_cancels_on_its_timeout_is_a_busy_store(
    proxied: tuple[Store, TcpProxy],
) -> None:
    store, _ = proxied
    with pytest.raises(StoreBusyError, match="statement timeout"), store.reading() as session:
        session.execute(text("SELECT pg_sleep(1.5)"))  # the server cancels it after 1 s
    assert _select_one(store) == 1


def test_migrations_lift_the_client_deadline(empty_postgresql_url: str) -> None:
    url = make_url(empty_postgresql_url)
    given = url.query.get("options", "")
    short = url.update_query_dict({"options": f"{given} -c statement_timeout=300"})
    store = Store.from_url(short.render_as_string(hide_password=False))
    slow = "SET LOCAL statement_timeout = 0; SELECT pg_sleep(1.6)"  # past 0.3 s + 1 s of grace
    try:
        with store.engine.begin() as connection, _unbounded(connection):
            connection.exec_driver_sql(slow)  # as a migration does
        with (
            pytest.raises(StoreError, match=r"no answer from the database within 1\.3 s"),
            store.engine.begin() as connection,
        ):
            connection.exec_driver_sql(slow)
        upgrade(store.engine)
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("options", "expected_s"),
    [
        ("", 5.0),
        ("-csearch_path=x", 5.0),
        ("-c statement_timeout=1500", 1.5),
        ("-c statement_timeout=2s -c lock_timeout=1000", 2.0),
        ("-c statement_timeout=1min", 60.0),
        ("-c statement_timeout=100 -c statement_timeout=0", None),
    ],
)
def test_the_client_deadline_follows_the_servers_statement_timeout(
    options: str, expected_s: float | None
) -> None:
    assert _statement_timeout_s(options) == expected_s
