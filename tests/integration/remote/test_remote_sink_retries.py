"""HttpSink's answers the real service gives rarely: 5xx, 429, dropped connections (MockTransport)."""

from __future__ import annotations

import gzip
import json
import logging
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from remote_support import MODEL, closed_window

from redline.errors import DataError
from redline.guard import HttpSink
from redline.profiles.reference import Reference
from rltest.waiting import wait_for


class Script:
    """Answers requests in turn from ``answers`` (a status, an exception, a gate), then 201."""

    def __init__(self, *answers: int | Exception | threading.Event) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        content = request.content
        if request.headers.get("Content-Encoding") == "gzip":
            content = gzip.decompress(content)
        self.bodies.append(json.loads(content))
        answer = self.answers.pop(0) if self.answers else 201
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, threading.Event):  # hold the request until the test lets go: 503
            answer.wait(10)
            answer = 503
        return httpx.Response(answer, json={"detail": "scripted"})


def _sink(script: Script, spool: Path) -> HttpSink:
    return HttpSink(
        "http://redline.invalid",
        token="rl_test",
        spool_path=spool,
        retry_min_s=0.01,
        retry_max_s=0.05,
        transport=httpx.MockTransport(script),
        send_environment=False,  # these scripts answer window requests only
    )


def test_5xx_429_and_dropped_connections_are_retried_until_the_window_is_taken(
    reference: Reference, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    script = Script(503, httpx.ConnectError("refused"), 429, 500)
    with caplog.at_level(logging.INFO, logger="redline.guard"):
        sink = _sink(script, tmp_path / "spool.jsonl")
        sink.write(closed_window(reference, 0))
        wait_for(lambda: sink.sent == 1)
        sink.close()
    assert len(script.bodies) == 5
    assert script.paths == [f"/api/v1/models/{MODEL}/windows"] * 5
    assert (sink.pending, sink.rejected) == (0, 0)
    warnings = [r for r in caplog.records if "cannot send windows" in r.getMessage()]
    assert len(warnings) == 1  # one line per outage, not one per retry
    assert "reachable again" in caplog.text


def test_waiting_windows_go_in_batches_of_batch_size_oldest_first(
    reference: Reference, tmp_path: Path
) -> None:
    gate = threading.Event()
    script = Script(gate)
    sink = HttpSink(
        "http://redline.invalid",
        token="rl_test",
        spool_path=tmp_path / "spool.jsonl",
        batch_size=3,
        retry_min_s=0.2,
        retry_max_s=0.2,
        transport=httpx.MockTransport(script),
        send_environment=False,
    )
    for index in range(7):  # the first request is held, then fails: all seven wait for the retry
        sink.write(closed_window(reference, index))
    gate.set()
    wait_for(lambda: sink.sent == 7)
    sink.close()
    sent = [[w["window"]["window_id"] for w in body["windows"]] for body in script.bodies[1:]]
    assert sent == [["w-0", "w-1", "w-2"], ["w-3", "w-4", "w-5"], ["w-6"]]


def test_bad_settings_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="batch_size"):
        HttpSink("http://x", token="t", spool_path=tmp_path / "s", batch_size=0)
    with pytest.raises(DataError, match="retry_min_s"):
        HttpSink("http://x", token="t", spool_path=tmp_path / "s", retry_min_s=5, retry_max_s=1)
    with pytest.raises(DataError, match="max_bytes must be positive"):
        HttpSink("http://x", token="t", spool_path=tmp_path / "s", max_spool_bytes=0)
