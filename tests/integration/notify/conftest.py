"""A real HTTP receiver on 127.0.0.1 that records every request and answers as scripted."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from redline.domain import IncidentStatus, Severity
from redline.notify import IncidentNotice, NoticeEvent

ACCEPTED = '{"status": "success", "message": "Event processed"}'


@dataclass(frozen=True)
class Answer:
    """What the receiver does with one request: answer, answer late, or hang up."""

    status: int = 202
    body: str = ACCEPTED
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})
    drop: bool = False
    delay_s: float = 0.0


@dataclass(frozen=True)
class Received:
    """One request as it arrived on the wire."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class Receiver:
    """Records requests; the first N are answered from a script, the rest with 202."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.requests: list[Received] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def respond(
        self,
        status: int = 202,
        body: str = ACCEPTED,
        *,
        headers: dict[str, str] | None = None,
        drop: bool = False,
        delay_s: float = 0.0,
        times: int = 1,
    ) -> None:
        """Script the next ``times`` unscripted requests: answer so, late, or hang up (``drop``)."""
        answer = Answer(status, body, headers or {"Content-Type": "text/plain"}, drop, delay_s)
        with self._lock:
            self._script.extend([answer] * times)

    def record(self, received: Received) -> Answer:
        """Keep the request and pick its answer."""
        with self._lock:
            self.requests.append(received)
            return self._script.popleft() if self._script else Answer()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        answer = self.server.receiver.record(Received(self.command, self.path, headers, body))
        if answer.drop:
            self.close_connection = True  # hang up without a status line
            return
        time.sleep(answer.delay_s)
        payload = answer.body.encode()
        try:
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up (timeout test); nothing to tell it
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    receiver: Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A threaded HTTP server on an ephemeral port of 127.0.0.1."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A real httpx client, closed after the test."""
    with httpx.Client() as http:
        yield http


@pytest.fixture
def sleeps() -> list[float]:
    """Records the waits deliver asks for instead of sleeping."""
    return []


@pytest.fixture
def notice() -> IncidentNotice:
    """A SEV1 trigger with a link and details."""
    return IncidentNotice(
        key="RL-2026-0042",
        title="Fraud recall dropped 21%",
        model="fraud-v3",
        severity=Severity.SEV1,
        status=IncidentStatus.DECLARED,
        event=NoticeEvent.TRIGGER,
        summary="Recall fell from 0.91 to 0.72 over the last 3 windows.",
        at=datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC),
        url="https://redline.example/incidents/RL-2026-0042",
        details={"metric": "recall", "observed": 0.72, "threshold": 0.85},
    )
