"""SIGKILL, one process at a time: the API server mid-stream, a remote Guard with windows in its
spool (restarted on the same spool), a worker holding a claim; then a data fault is contained."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fault_support import (
    EvaluationLedger,
    GuardProcess,
    Process,
    ServeProcess,
    WorkerProcess,
    check_request_path,
)
from sqlalchemy import create_engine, make_url, text

from rltest.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _named(url: str, name: str) -> str:
    """``url`` with ``application_name`` set, to find the process in pg_stat_activity."""
    return make_url(url).update_query_dict({"application_name": name}).render_as_string(False)


def _in_transaction(url: str, name: str, timeout_s: float = 30.0) -> None:
    """Wait until the backend of ``name`` is inside a transaction that touched the windows."""
    engine = create_engine(url)
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
        "AND xact_start IS NOT NULL AND query ILIKE '%windows%'"
    )
    deadline = time.monotonic() + timeout_s
    try:
        with engine.connect() as connection:
            while not connection.execute(query, {"name": name}).scalar():
                assert time.monotonic() < deadline, f"{name} never held a claim"
                connection.commit()
                time.sleep(0.005)
    finally:
        engine.dispose()


def test_killed_server_guard_and_worker_lose_no_window_and_evaluate_none_twice(
    pg_url: str,
    store_tokens: dict[str, str],
    reference_file: Path,
    playbook_file: Path,
    processes: list[Process],
    tmp_path: Path,
) -> None:
    ledger = EvaluationLedger(pg_url)
    serve = ServeProcess(pg_url, playbook_file, tmp_path / "serve.log")
    token = store_tokens["responder"]
    workers = [
        WorkerProcess(_named(pg_url, "fault-worker-a"), playbook_file, tmp_path / "a.log", batch=1),
        WorkerProcess(pg_url, playbook_file, tmp_path / "b.log", batch=5),
    ]
    processes.extend([serve, *workers])
    serve.launch()
    for worker in workers:
        worker.start()
    guards = [
        GuardProcess(
            serve.base_url, token, tmp_path / f"g{i}", reference_file, tmp_path / f"g{i}.log"
        )
        for i in (1, 2)
    ]
    processes.extend(guards)
    for guard in guards:
        guard.launch()
    serve.ready()
    for guard in guards:
        guard.ready()
    wait_for(lambda: all(len(g.windows) >= 2 for g in guards), timeout_s=30)

    # The API server dies mid-stream: the Guards spool.
    serve.kill()
    spooled = [len(g.windows) for g in guards]
    wait_for(
        lambda: all(len(g.windows) >= n + 2 for g, n in zip(guards, spooled, strict=True)),
        timeout_s=20,
    )

    # A Guard dies with windows in its spool, and comes back on the same spool while the
    # server comes back on its port.
    killed = guards[0]
    killed.kill()
    left_in_spool = set(killed.windows) - set(ledger.counts()[1])
    assert left_in_spool, "the killed Guard had nothing waiting in its spool"
    killed.launch()
    serve.start()
    killed.ready()

    # The backlog arrives; a worker dies holding a claim, the other takes over.
    _in_transaction(pg_url, "fault-worker-a")
    workers[0].kill()

    # A fault in the data, after recovery: contained, and the Guards follow the route.
    for guard in guards:
        guard.send("shift 3")
    wait_for(lambda: all(g.routes and g.routes[-1][1] == "fallback" for g in guards), timeout_s=60)

    closed = set()
    for guard in guards:
        guard.close()
        closed |= set(guard.windows)
        check_request_path(guard.request_path())
        assert guard.refused == []

    ledger.wait_settled(closed)
    evaluations, stored, _waiting = ledger.counts()
    assert closed <= set(stored)
    assert len(set(stored) - closed) <= 1  # the killed Guard may die between spool and report
    assert left_in_spool <= set(stored)  # sent by the Guard that took over its spool
    assert evaluations == dict.fromkeys(stored, 1)
    codes = serve.statuses()
    assert not [code for code in codes if code >= 500], codes
