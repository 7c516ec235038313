"""The processes a fault test runs and kills: ``redline serve``, ``redline worker`` and remote
Guards (``guard_main.py``), each with its stdout collected line by line and its stderr in a file;
and the ledger that checks no window was lost or evaluated twice."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from rltest.cli import cli_env, redline_script
from rltest.waiting import wait_for

__all__ = [
    "GUARD_MAIN",
    "MODEL",
    "EvaluationLedger",
    "GuardProcess",
    "Process",
    "ServeProcess",
    "WorkerProcess",
    "check_request_path",
    "free_port",
    "statuses",
]

MODEL = "credit"
GUARD_MAIN = Path(__file__).with_name("guard_main.py")
_STATUS = re.compile(r'HTTP/1\.[01]" (\d{3})')
_RESPONDED = re.compile(r"responded to (\d+) windows")


class Process:
    """A subprocess whose stdout lines are collected by a thread; stderr goes to ``log``."""

    def __init__(
        self, command: list[str], *, log: Path, env: dict[str, str], stdin: bool = False
    ) -> None:
        self.command, self.log, self.env = command, log, env
        self.lines: list[str] = []
        self._stdin = stdin
        self.popen: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> Process:
        """Start the process (its stderr appended to ``log``)."""
        with self.log.open("a") as err:
            self.popen = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE if self._stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env=self.env,
            )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self.popen is not None
        assert self.popen.stdout is not None
        with self.log.with_suffix(".out").open("a") as copy:  # for a person reading a failure
            for line in self.popen.stdout:
                self.lines.append(line.rstrip("\n"))
                copy.write(line)
                copy.flush()

    def wait_line(self, match: Callable[[str], bool], timeout_s: float = 30.0) -> str:
        """The first collected line ``match`` accepts; fails the test after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if match(line):
                    return line
            seen = len(self.lines)
            alive = self.popen is not None and self.popen.poll() is None
            if not alive and len(self.lines) == seen:
                raise AssertionError(f"{self.command[:3]} exited: {self.stderr()[-3000:]}")
            assert time.monotonic() < deadline, f"no such line after {timeout_s} s: {self.log}"
            time.sleep(0.02)

    def send(self, line: str) -> None:
        """Write one line to the process's stdin."""
        assert self.popen is not None
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    @property
    def alive(self) -> bool:
        """Whether the process runs."""
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL, and reap it."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
        self._reap()

    def stop(self, timeout_s: float = 30.0) -> float:
        """SIGTERM, wait (SIGKILL after ``timeout_s``); the seconds it took to exit."""
        started = time.monotonic()
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        self._reap()
        return time.monotonic() - started

    def _reap(self) -> None:
        if self.popen is None:
            return
        self.popen.wait(timeout=30)
        if self._reader is not None:
            self._reader.join(timeout=10)
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                stream.close()

    def stderr(self) -> str:
        """What the process wrote to stderr so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def check_request_path(stats: tuple[int, int, float, int]) -> None:
    """A Guard's ``(predictions, errors, max_ms, slow)``: it served, never raised, and at most
    1 % of its predictions took over 50 ms."""
    predictions, errors, _, slow = stats
    assert predictions > 0, stats
    assert errors == 0, stats
    assert slow <= predictions // 100, stats


def statuses(lines: list[str]) -> Counter[int]:
    """HTTP status codes in uvicorn's access log lines."""
    return Counter(int(m.group(1)) for line in lines if (m := _STATUS.search(line)))


def free_port() -> int:
    """A port nothing listens on now (bound to port 0, then released)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return cli_env((), prefix="REDLINE_", extra=extra)


class ServeProcess(Process):
    """``redline serve`` storing windows for workers (``api.evaluate = worker``)."""

    def __init__(self, store: str, playbook: Path, log: Path) -> None:
        self.store, self.playbook, self.port = store, playbook, free_port()
        self.access: list[str] = []  # access log lines of every earlier run
        super().__init__(self._command(), log=log, env=_env(self._settings()))

    @staticmethod
    def _settings() -> dict[str, str]:
        return {"REDLINE_API__EVALUATE": "worker", "REDLINE_API__ROUTE_POLL_S": "0.2"}

    def _command(self) -> list[str]:
        return [
            redline_script(),
            "serve",
            "--port",
            str(self.port),
            "--store",
            self.store,
            "--playbook",
            str(self.playbook),
            "--log-level",
            "info",
        ]

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, the same across restarts."""
        return f"http://127.0.0.1:{self.port}"

    def launch(self) -> ServeProcess:
        """Start serving on the same port as every run before, without waiting."""
        self.access.extend(self.lines)
        self.lines = []
        super().start()
        return self

    def start(self) -> ServeProcess:
        """Serve on the same port as every run before; return once ``/healthz`` answers 200."""
        self.launch().ready()
        return self

    def ready(self) -> None:
        """Wait until ``/healthz`` answers 200."""
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.alive, f"redline serve exited: {self.stderr()[-3000:]}"
            assert time.monotonic() < deadline, "redline serve did not answer /healthz"
            time.sleep(0.05)

    def statuses(self) -> Counter[int]:
        """HTTP status codes served over every run so far."""
        return statuses(self.access + self.lines)


class WorkerProcess(Process):
    """``redline worker`` ticking every 0.2 s with the playbook."""

    def __init__(self, store: str, playbook: Path, log: Path, *, batch: int = 10) -> None:
        command = [
            redline_script(),
            "worker",
            "--interval",
            "0.2",
            "--batch",
            str(batch),
            "--store",
            store,
            "--playbook",
            str(playbook),
        ]
        super().__init__(command, log=log, env=_env())

    def responded(self) -> int:
        """Windows this worker logged as responded to."""
        return sum(int(m.group(1)) for m in _RESPONDED.finditer(self.stderr()))


class GuardProcess(Process):
    """A remote Guard (``guard_main.py``) posting windows of MODEL to ``server``."""

    def __init__(
        self, server: str, token: str, spool_dir: Path, reference: Path, log: Path, **options: str
    ) -> None:
        command = [sys.executable, str(GUARD_MAIN), server, token, str(spool_dir), str(reference)]
        for name, value in options.items():
            command += [f"--{name.replace('_', '-')}", value]
        super().__init__(command, log=log, env=_env(), stdin=True)
        self.earlier: list[str] = []  # stdout of runs before a restart

    def launch(self) -> GuardProcess:
        """Start the process (a new run: its earlier output is kept) without waiting."""
        self.earlier.extend(self.lines)
        self.lines = []
        super().start()
        return self

    def start(self) -> GuardProcess:
        """Start serving traffic; return once the Guard is up."""
        self.launch().ready()
        return self

    def ready(self) -> None:
        """Wait until the Guard of this run serves."""
        self.wait_line(lambda s: s == "ready", timeout_s=90)

    def _words(self, kind: str) -> list[list[str]]:
        return [line.split()[1:] for line in self.earlier + self.lines if line.startswith(kind)]

    @property
    def windows(self) -> list[str]:
        """Ids of the windows that reached the spool, over every run."""
        return [words[0] for words in self._words("window ")]

    @property
    def refused(self) -> list[str]:
        """Ids of the windows the spool refused, over every run."""
        return [words[0] for words in self._words("refused ")]

    @property
    def routes(self) -> list[tuple[int, str]]:
        """``(revision, mode)`` each time the Guard's route changed."""
        return [(int(words[0]), words[1]) for words in self._words("route ")]

    def request_path(self) -> tuple[int, int, float, int]:
        """The last ``(predictions, errors, max_ms, slow)`` of this run."""
        last = list(self._words("stats ")) or [["0", "0", "0", "0"]]
        predictions, errors, max_ms, slow = last[-1]
        return int(predictions), int(errors), float(max_ms), int(slow)

    def close(self, timeout_s: float = 60.0) -> float:
        """``stop`` on stdin; the seconds ``guard.close()`` took, as the Guard measured it."""
        self.send("stop")
        line = self.wait_line(lambda s: s.startswith("closed "), timeout_s=timeout_s)
        assert self.popen is not None
        self.popen.wait(timeout=30)
        self._reap()
        return float(line.split()[1])


@dataclass
class EvaluationLedger:
    """A trigger on the store's ``windows`` table that notes every committed ``evaluated_at``
    (PostgreSQL): a window evaluated twice leaves two rows, a rolled-back claim none."""

    url: str

    def install(self) -> EvaluationLedger:
        """Create the table and trigger in the store's schema (after the migrations)."""
        engine = create_engine(self.url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "CREATE TABLE fault_evaluations (window_id TEXT NOT NULL, "
                        "at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())"
                    )
                )
                connection.execute(
                    text(
                        "CREATE FUNCTION fault_note_evaluation() RETURNS trigger AS $$ BEGIN "
                        "INSERT INTO fault_evaluations (window_id) VALUES (NEW.id); "
                        "RETURN NEW; END $$ LANGUAGE plpgsql"
                    )
                )
                connection.execute(
                    text(
                        "CREATE TRIGGER fault_evaluated AFTER UPDATE OF evaluated_at ON windows "
                        "FOR EACH ROW WHEN (NEW.evaluated_at IS NOT NULL) "
                        "EXECUTE FUNCTION fault_note_evaluation()"
                    )
                )
        finally:
            engine.dispose()
        return self

    def wait_settled(self, closed: set[str], timeout_s: float = 30.0) -> None:
        """Wait until every id in ``closed`` is stored and no stored window awaits a worker."""

        def settled() -> bool:
            _, stored, waiting = self.counts()
            return closed <= set(stored) and not waiting

        wait_for(settled, timeout_s=timeout_s)

    def counts(self) -> tuple[Counter[str], list[str], list[str]]:
        """(evaluations per window id, ids stored, ids stored but not evaluated)."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as connection:
                evaluations = Counter(
                    row[0]
                    for row in connection.execute(text("SELECT window_id FROM fault_evaluations"))
                )
                stored = [row[0] for row in connection.execute(text("SELECT id FROM windows"))]
                waiting = [
                    row[0]
                    for row in connection.execute(
                        text("SELECT id FROM windows WHERE evaluated_at IS NULL")
                    )
                ]
        finally:
            engine.dispose()
        return evaluations, stored, waiting
