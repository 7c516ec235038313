"""PostgreSQL goes silent (black-holed behind a proxy, not refused) under the API and the worker,
then comes back. One run of the scenario (a module fixture); each test checks one promise."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest
from fault_env import killing_at_exit, pg_schema, prepare_store
from fault_support import (
    EvaluationLedger,
    GuardProcess,
    Process,
    ServeProcess,
    WorkerProcess,
    check_request_path,
)
from sqlalchemy import make_url

from redline.store.engine import PG_CONNECT_TIMEOUT_S, PG_REPLY_GRACE_S, PG_STATEMENT_TIMEOUT_MS
from rltest.tcp_proxy import TcpProxy
from rltest.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

#: How long the API and the Guard may take to answer or stop while the database is silent.
GOAL_S = 10.0
#: The longest a store call waits on a silent database: libpq's connect_timeout for a new
#: connection, the server's statement timeout plus the client's grace for a pooled one.
STORE_BOUND_S = max(PG_CONNECT_TIMEOUT_S, PG_STATEMENT_TIMEOUT_MS / 1000 + PG_REPLY_GRACE_S)
#: SQLAlchemy's default pool size: as many requests at once leave as many idle connections.
POOL_SIZE = 5
#: Requests made as the partition begins, and how long each is waited for.
PROBES = ("/healthz", "/api/v1/incidents", *["/api/v1/models"] * 6)
PROBE_WAIT_S = 60.0
#: How long a stop is waited for before SIGKILL.
STOP_WAIT_S = 12.0
#: How long the partition lasts before the API's shutdown is measured: a request still
#: unanswered by then is hanging.
PARTITION_S = GOAL_S + 2
_OUTAGE_LINE = re.compile(r"store is unavailable")


@dataclass
class Probe:
    """One API request made during the partition."""

    path: str
    status: int | None = None
    retry_after: str | None = None
    elapsed_s: float | None = None
    error: str | None = None


@dataclass
class Run:
    """What the scenario measured."""

    probes: list[Probe] = field(default_factory=list)
    guard_close_s: float = 0.0
    serve_stop_s: float = 0.0
    worker_outage_lines: int = 0
    closed: set[str] = field(default_factory=set)
    stored: list[str] = field(default_factory=list)
    evaluations: dict[str, int] = field(default_factory=dict)
    waiting: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    statuses_serving: dict[int, int] = field(default_factory=dict)
    in_flight_at_stop: Probe | None = None
    answered: list[Probe] = field(default_factory=list)  # within PARTITION_S
    unanswered: list[Probe] = field(default_factory=list)
    routes: list[list[tuple[int, str]]] = field(default_factory=list)
    request_path: list[tuple[int, int, float, int]] = field(default_factory=list)


def _run_probes(base_url: str, token: str, probes: list[Probe]) -> None:
    threads = [threading.Thread(target=_probe, args=(base_url, token, p)) for p in probes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def _through(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(port=proxy.port).render_as_string(hide_password=False)


def _probe(base_url: str, token: str, probe: Probe, timeout_s: float = 60.0) -> None:
    started = time.monotonic()
    try:
        response = httpx.get(
            base_url + probe.path, headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s
        )
        probe.status = response.status_code
        probe.retry_after = response.headers.get("Retry-After")
    except httpx.HTTPError as exc:
        probe.error = repr(exc)
    probe.elapsed_s = time.monotonic() - started


@pytest.fixture(scope="module")
def run(
    tmp_path_factory: pytest.TempPathFactory,
    reference_file: Path,
    playbook_file: Path,
) -> Run:
    """The scenario, once: traffic, a partition with probes and shutdowns, recovery, a fault."""
    tmp = tmp_path_factory.mktemp("partition")
    measured = Run()
    with pg_schema() as pg_url, killing_at_exit() as processes:
        tokens = prepare_store(pg_url)
        _scenario(pg_url, tokens, processes, tmp, reference_file, playbook_file, measured)
    return measured


def _scenario(
    pg_url: str,
    tokens: dict[str, str],
    processes: list[Process],
    tmp: Path,
    reference_file: Path,
    playbook_file: Path,
    measured: Run,
) -> None:
    with TcpProxy(make_url(pg_url).port or 5432) as proxy:
        through = _through(pg_url, proxy)
        serve = ServeProcess(through, playbook_file, tmp / "serve.log")
        worker = WorkerProcess(through, playbook_file, tmp / "worker.log")
        guards = [
            GuardProcess(
                serve.base_url,
                tokens["responder"],
                tmp / f"g{i}",
                reference_file,
                tmp / f"g{i}.log",
            )
            for i in (1, 2)
        ]
        processes.extend([serve, worker, *guards])
        serve.launch()
        worker.start()
        for guard in guards:
            guard.launch()
        serve.ready()
        for guard in guards:
            guard.ready()
        wait_for(lambda: all(len(g.windows) >= 2 for g in guards), timeout_s=30)

        warm = [Probe("/api/v1/models") for _ in range(POOL_SIZE)]  # idle pooled connections
        _run_probes(serve.base_url, tokens["viewer"], warm)
        assert {p.status for p in warm} == {200}, warm

        proxy.partition()
        partitioned_at = time.monotonic()
        measured.probes = [Probe(path) for path in PROBES]
        threads = [
            threading.Thread(
                target=_probe, args=(serve.base_url, tokens["viewer"], p, PROBE_WAIT_S), daemon=True
            )
            for p in measured.probes
        ]
        for thread in threads:
            thread.start()
        measured.guard_close_s = guards[1].close(timeout_s=90)
        # The fault lasts as long as a request may take to fail; then the unanswered are noted.
        wait_for(lambda: time.monotonic() - partitioned_at > PARTITION_S, timeout_s=60)
        snapshot = [replace(p) for p in measured.probes]
        measured.answered = [p for p in snapshot if p.elapsed_s is not None]
        measured.unanswered = [p for p in snapshot if p.elapsed_s is None]
        measured.statuses_serving = dict(serve.statuses())
        last = Probe("/api/v1/models")  # in flight, waiting for a connection, at SIGTERM
        in_flight = threading.Thread(
            target=_probe, args=(serve.base_url, tokens["viewer"], last), daemon=True
        )
        connections = proxy.connections
        in_flight.start()
        wait_for(lambda: proxy.connections > connections, timeout_s=10)
        measured.serve_stop_s = serve.stop(timeout_s=STOP_WAIT_S)
        in_flight.join(timeout=30)
        measured.in_flight_at_stop = last
        worker_log = worker.stderr()
        measured.worker_outage_lines = len(_OUTAGE_LINE.findall(worker_log))
        proxy.heal()
        for thread in threads:
            thread.join(timeout=60)

        serve.launch()
        guards[1].launch()  # on the spool it left: sends what the partition held back
        serve.ready()
        guards[1].ready()
        guards[0].send("shift 3")
        wait_for(lambda: guards[0].routes[-1][1] == "fallback", timeout_s=60)
        measured.routes = [g.routes for g in guards]
        for guard in guards:
            guard.close()
        for guard in guards:
            measured.closed |= set(guard.windows)
            measured.request_path.append(guard.request_path())
        ledger = EvaluationLedger(pg_url)

        ledger.wait_settled(measured.closed)
        evaluations, measured.stored, measured.waiting = ledger.counts()
        measured.evaluations = dict(evaluations)
        measured.statuses = dict(serve.statuses())
        serve.stop()
        worker.stop()


def test_a_request_that_cannot_connect_gets_503_with_retry_after_in_time(run: Run) -> None:
    answered = run.answered
    assert answered, run.probes
    for probe in answered:
        assert probe.status == 503, probe
        assert probe.retry_after is not None, probe
        assert probe.elapsed_s is not None
        assert probe.elapsed_s <= STORE_BOUND_S + 2, probe


def test_no_request_hangs_past_the_store_timeouts(run: Run) -> None:
    assert run.unanswered == [], run.unanswered


def test_no_server_error_but_503_while_serving(run: Run) -> None:
    assert {code for code in run.statuses_serving if code >= 500} <= {503}, run.statuses_serving


def test_a_request_in_flight_at_shutdown_gets_503_not_500(run: Run) -> None:
    probe = run.in_flight_at_stop
    assert probe is not None
    assert probe.status == 503, probe


def test_the_worker_logs_the_outage(run: Run) -> None:
    assert run.worker_outage_lines == 1, run.worker_outage_lines  # once, not per job and tick


def test_guard_close_during_a_partition_takes_at_most_10_s(run: Run) -> None:
    assert run.guard_close_s <= GOAL_S, run.guard_close_s


def test_api_shutdown_during_a_partition_takes_at_most_10_s(run: Run) -> None:
    assert run.serve_stop_s <= GOAL_S, run.serve_stop_s


def test_after_the_partition_every_window_is_stored_and_evaluated_once(run: Run) -> None:
    assert run.closed <= set(run.stored)
    assert set(run.stored) == run.closed
    assert run.waiting == []
    assert run.evaluations == dict.fromkeys(run.stored, 1)


def test_after_the_partition_a_data_fault_is_contained_and_followed(run: Run) -> None:
    shifted = run.routes[0]
    assert shifted[-1][1] == "fallback", shifted
    assert shifted[-1][0] > shifted[0][0], shifted


def test_the_request_path_never_raised_and_stayed_fast(run: Run) -> None:
    for stats in run.request_path:
        check_request_path(stats)
