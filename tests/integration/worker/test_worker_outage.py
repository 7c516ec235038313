"""A worker whose database goes away says so once, and once more when it is back, with how long."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import make_url

from redline.store import Store
from redline.worker import Worker
from rltest.tcp_proxy import TcpProxy
from rltest.waiting import wait_for

pytestmark = pytest.mark.postgres


def _closed_port() -> int:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def test_an_outage_is_one_line_when_it_starts_and_one_when_it_ends(
    migrated_postgresql_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(migrated_postgresql_url)
    with TcpProxy(_closed_port()) as proxy:  # connections reach nothing: the store is down
        store = Store.from_url(url.set(port=proxy.port).render_as_string(hide_password=False))
        worker = Worker(store, interval_s=0.02, max_backoff_s=0.02)
        stop = threading.Event()
        runner = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        with caplog.at_level(logging.INFO, logger="redline.worker"):
            runner.start()
            wait_for(lambda: proxy.connections >= 20, timeout_s=30)  # many failing ticks
            proxy.target = ("127.0.0.1", url.port or 5432)  # the database is back
            wait_for(lambda: "available again" in caplog.text, timeout_s=30)
            stop.set()
            runner.join(timeout=30)
        store.dispose()
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    down = [m for m in messages if "store is unavailable" in m]
    back = [m for m in messages if "available again after" in m]
    assert len(down) == 1, messages
    assert len(back) == 1, messages
    assert [m for m in messages if m not in down + back] == []  # nothing per tick or per job
