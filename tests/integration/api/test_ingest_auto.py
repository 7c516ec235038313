"""``api.evaluate = auto`` (the default): windows are only stored while a worker's heartbeat
holds, and responded to inline otherwise; a window stored for a worker that died is responded
to once a worker returns, and none twice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from api_support import MODEL, api_settings, fit_reference, window_payload

from redline.api import create_app
from redline.api.server import ApiServer
from redline.services import open_store
from redline.services.ingest import respond_to_windows
from redline.services.response import ResponsePlan
from redline.services.tokens import create_token
from redline.services.workers import ALIVE_FOR_S, WorkerHeartbeat, WorkerPresence, is_worker_alive
from redline.settings import ApiSettings
from redline.store import Store, get_heartbeat, get_window
from redline.worker import Worker
from rltest.waiting import wait_for

URL = f"/api/v1/models/{MODEL}/windows"
REFERENCE = fit_reference()


@dataclass
class Served:
    """A live API whose worker presence is read at every request, on a clock the test moves."""

    store: Store
    url: str
    token: str
    ahead_s: float = 0.0

    def post(self, index: int) -> None:
        body = {"windows": [{"window": window_payload(REFERENCE, index=index)}]}
        headers = {"Authorization": f"Bearer {self.token}"}
        httpx.post(self.url + URL, json=body, headers=headers, timeout=30).raise_for_status()

    def evaluated(self, index: int) -> bool:
        with self.store.reading() as session:
            row = get_window(session, window_id=f"w-{index}")
            assert row is not None
            return row.evaluated_at is not None


@pytest.fixture
def serve(migrated_url: str) -> Iterator[Callable[..., Served]]:
    """``serve(evaluate=...)``: a server on the test's store (no option: the default)."""
    servers: list[ApiServer] = []
    store = open_store(migrated_url)

    def start(**options: object) -> Served:
        app = create_app(api_settings(migrated_url, **options), store=store)
        served = Served(store, "", create_token(store, name="r", role="responder")[0])

        def clock() -> datetime:
            return datetime.now(UTC) + timedelta(seconds=served.ahead_s)

        app.state.redline.workers = WorkerPresence(store, recheck_s=0.0, clock=clock)
        server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
        servers.append(server)
        served.url = server.url
        return served

    yield start
    for server in servers:
        server.stop()
    store.dispose()


def test_auto_is_the_default() -> None:
    assert ApiSettings().evaluate == "auto"


def test_auto_stores_only_while_a_worker_is_alive_and_a_returning_worker_responds(
    serve: Callable[..., Served],
) -> None:
    api = serve()
    heartbeat = WorkerHeartbeat(api.store, interval_s=1.0)
    api.post(0)  # no worker: responded to in the request
    assert api.evaluated(0)
    assert heartbeat.beat()
    api.post(1)  # a worker is alive: stored for it
    assert not api.evaluated(1)
    api.ahead_s = ALIVE_FOR_S + 1  # the worker died: its heartbeat ran out
    api.post(2)
    assert api.evaluated(2)
    assert not api.evaluated(1)  # waits for a worker, not lost
    assert respond_to_windows(api.store, plan=ResponsePlan()) == ["w-1"]  # a worker returns
    assert respond_to_windows(api.store, plan=ResponsePlan()) == []  # once
    api.ahead_s = 0.0
    heartbeat.stop()  # a worker that stops takes its heartbeat back at once
    api.post(3)
    assert api.evaluated(3)


@pytest.mark.parametrize(
    ("evaluate", "alive", "stored_only"), [("inline", True, False), ("worker", False, True)]
)
def test_inline_and_worker_still_force_one_way(
    serve: Callable[..., Served], evaluate: str, alive: bool, stored_only: bool
) -> None:
    api = serve(evaluate=evaluate)
    if alive:
        WorkerHeartbeat(api.store, interval_s=1.0).beat()
    api.post(0)
    assert api.evaluated(0) is not stored_only


def test_a_running_worker_keeps_a_heartbeat_and_takes_it_back_when_it_stops(
    store: Store,
) -> None:
    worker = Worker(store, interval_s=0.05)
    worker.tick()  # `redline worker --once` vouches for nothing
    assert not is_worker_alive(store)
    stop = threading.Event()
    runner = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    runner.start()
    try:
        wait_for(lambda: is_worker_alive(store))
        with store.reading() as session:
            until = get_heartbeat(session, name="workers")
        assert until is not None
        assert until - datetime.now(UTC) <= timedelta(seconds=ALIVE_FOR_S)
        assert not is_worker_alive(store, now=until)
    finally:
        stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
    assert not is_worker_alive(store)


def test_a_heartbeat_is_written_once_per_third_of_its_life(store: Store) -> None:
    heartbeat = WorkerHeartbeat(store, interval_s=0.05)
    assert heartbeat.alive_for_s == ALIVE_FOR_S
    assert heartbeat.beat()
    assert not heartbeat.beat()  # a tick later: still fresh, nothing written
    assert WorkerHeartbeat(store, interval_s=10.0).alive_for_s == 30.0  # three slow ticks
