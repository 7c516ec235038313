"""LISTEN/NOTIFY: committed route changes reach listeners and long-polls at once (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from redline.api import create_app
from redline.api.server import ApiServer
from redline.domain import ActionType
from redline.services.actions import apply_action
from redline.services.tokens import create_token
from redline.settings import ApiSettings, Settings, StoreSettings
from redline.store import RouteListener, Store, add_route_state
from rltest.waiting import wait_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(migrated_postgresql_url: str) -> Iterator[Store]:
    opened = Store.from_url(migrated_postgresql_url)
    yield opened
    opened.dispose()


def test_a_committed_route_change_wakes_the_listener(store: Store) -> None:
    heard: list[str | None] = []
    listener = RouteListener.for_store(store, heard.append)
    assert listener is not None
    listener.start()
    try:
        wait_for(lambda: listener.connected)
        with store.session() as session:
            add_route_state(
                session, model="news-a", revision=1, state={"mode": "fallback"}, created_by="t"
            )
            session.flush()
            assert "news-a" not in heard  # not before the commit: the state is not readable yet
        wait_for(lambda: "news-a" in heard)
        with store.session() as session:  # a rolled-back change is never announced
            add_route_state(session, model="news-b", revision=1, state={}, created_by="t")
            session.rollback()
        apply_action(store, model="news-c", type=ActionType.KILL_SWITCH, trigger="test")
        wait_for(lambda: "news-c" in heard)
        assert "news-b" not in heard
    finally:
        listener.stop()


def test_the_listener_reconnects_after_losing_its_connection(
    store: Store, migrated_postgresql_url: str
) -> None:
    heard: list[str | None] = []
    listener = RouteListener(migrated_postgresql_url, heard.append, backoff_s=0.05)
    listener.start()
    admin = create_engine(migrated_postgresql_url)
    try:
        wait_for(lambda: listener.connected)
        first = listener.backend_pid
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        wait_for(lambda: listener.connected and listener.backend_pid != first)
        assert heard.count(None) >= 3  # connected, lost (waiters re-read), connected again
        apply_action(store, model="news-d", type=ActionType.KILL_SWITCH, trigger="test")
        wait_for(lambda: "news-d" in heard)
    finally:
        listener.stop()
        admin.dispose()


def test_the_long_poll_answers_at_once_when_another_process_changes_the_route(
    store: Store, migrated_postgresql_url: str
) -> None:
    # A poll interval longer than the wait: only a notification can answer with 200.
    api = ApiSettings(route_poll_s=60.0, route_wait_max_s=60.0)
    settings = Settings(store=StoreSettings(url=migrated_postgresql_url), api=api)
    server = ApiServer(create_app(settings, store=store), host="127.0.0.1", port=0).start()
    token, _ = create_token(store, name="viewer", role="viewer")
    answers: list[httpx.Response] = []

    def poll() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
            params = {"after_revision": 0, "wait_s": 15}
            answers.append(client.get("/api/v1/models/news-e/route", params=params))

    waiter = threading.Thread(target=poll)
    other = Store.from_url(migrated_postgresql_url)  # another process's engine
    try:
        waiter.start()
        time.sleep(0.5)  # let the long-poll reach its wait
        apply_action(other, model="news-e", type=ActionType.KILL_SWITCH, trigger="worker")
        waiter.join(timeout=20)
    finally:
        other.dispose()
        server.stop()
    (answer,) = answers
    assert answer.status_code == 200
    assert answer.json()["revision"] == 1
    assert answer.json()["created_by"] == "worker"
