"""HttpSink sends gzip'd batches; to a service from before gzip'd bodies, plain JSON instead."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from remote_support import Service, closed_window

from redline.guard import HttpSink
from redline.profiles.reference import Reference
from rltest.waiting import wait_for


class OldService(ThreadingHTTPServer):
    """A real HTTP server that answers like a service from before gzip'd bodies: a body it
    cannot read as JSON gets ``refusal`` (400: not JSON; 415: an encoding it does not take)."""

    def __init__(self, refusal: int) -> None:
        super().__init__(("127.0.0.1", 0), _OldHandler)
        self.refusal = refusal
        self.encodings: list[str] = []
        self.window_ids: list[str] = []

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server_address[1]}"


class _OldHandler(BaseHTTPRequestHandler):
    server: OldService

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "identity")
        self.server.encodings.append(encoding)
        try:
            if encoding != "identity" and self.server.refusal == 415:
                raise ValueError(f"Content-Encoding {encoding!r} is not supported")
            windows = json.loads(body)["windows"]
        except ValueError as exc:
            return self._answer(self.server.refusal, {"detail": str(exc)})
        self.server.window_ids += [w["window"]["window_id"] for w in windows]
        return self._answer(201, {"created": len(windows)})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what the server recorded instead."""


@pytest.fixture(params=[400, 415])
def old_service(request: pytest.FixtureRequest) -> Iterator[OldService]:
    server = OldService(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def _sink(base_url: str, token: str, spool: Path) -> HttpSink:
    return HttpSink(
        base_url,
        token=token,
        spool_path=spool,
        batch_size=2,
        retry_min_s=0.05,
        retry_max_s=0.2,
        send_environment=False,
    )


def test_a_service_that_refuses_gzip_gets_plain_json_from_then_on(
    old_service: OldService,
    reference: Reference,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="redline.guard"):
        sink = _sink(old_service.base_url, "rl_test", tmp_path / "spool.jsonl")
        for index in range(5):
            sink.write(closed_window(reference, index))
        wait_for(lambda: sink.sent == 5)
        sink.close()
    assert old_service.window_ids == [f"w-{i}" for i in range(5)]  # each once, in order
    # One gzip'd try, refused; then every batch plain (how the windows batch depends on when
    # the sending thread wakes).
    first, *rest = old_service.encodings
    assert first == "gzip"
    assert rest
    assert set(rest) == {"identity"}
    assert (sink.compress, sink.pending, sink.rejected) == (False, 0, 0)
    assert len([r for r in caplog.records if "refused a gzip'd batch" in r.getMessage()]) == 1


def test_the_service_takes_gzip_batches(
    sqlite_service: Service, reference: Reference, tmp_path: Path
) -> None:
    sqlite_service.start()
    token = sqlite_service.tokens["responder"]
    sink = _sink(sqlite_service.base_url, token, tmp_path / "spool.jsonl")
    for index in range(5):
        sink.write(closed_window(reference, index))
    wait_for(lambda: sink.sent == 5)
    sink.close()
    assert sink.compress  # never refused: every batch went gzip'd
    assert sorted(sqlite_service.window_ids()) == sorted(f"w-{i}" for i in range(5))
