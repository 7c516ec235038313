"""HttpSink.close() keeps one deadline, a send in flight included, and loses nothing by it."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
from remote_support import MODEL, closed_window

from redline.errors import DataError
from redline.guard import HttpSink
from redline.profiles.reference import Reference
from rltest.waiting import wait_for


def test_close_returns_by_its_deadline_while_a_send_hangs_and_the_window_stays_spooled(
    reference: Reference, tmp_path: Path
) -> None:
    entered, release = threading.Event(), threading.Event()
    taken: list[str] = []

    def silent_then_ok(request: httpx.Request) -> httpx.Response:
        if not release.is_set():  # a service that does not answer (yet)
            entered.set()
            release.wait(60)
            return httpx.Response(503, json={"detail": "store unavailable"})
        taken.append(request.url.path)
        return httpx.Response(201, json={})

    spool = tmp_path / "spool.jsonl"
    options = {"token": "rl_test", "spool_path": spool, "send_environment": False}
    transport = httpx.MockTransport(silent_then_ok)
    sink = HttpSink(
        "http://redline.invalid", transport=transport, timeout_s=30, close_timeout_s=0.2, **options
    )
    sink.write(closed_window(reference, 0))
    assert entered.wait(10)
    closing = threading.Thread(target=sink.close, daemon=True)
    closing.start()
    closing.join(10)  # well past the 0.2 s asked for, far short of the request's 30 s timeout
    returned_in_flight = not closing.is_alive() and not release.is_set()
    release.set()
    assert returned_in_flight
    assert sink.pending == 1
    # The abandoned send ends (503): its thread releases the spool for the next sink.
    reopened: list[HttpSink] = []

    def reopen() -> bool:
        try:
            reopened.append(HttpSink("http://redline.invalid", transport=transport, **options))
        except DataError:  # the spool is still in use by the closing sink's thread
            return False
        return True

    wait_for(reopen)
    wait_for(lambda: reopened[0].sent == 1)
    reopened[0].close()
    assert taken == [f"/api/v1/models/{MODEL}/windows"]
