"""Two workers sending one outbox while another connection writes: each notice goes once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from worker_support import START, closed_window, run_threads

from redline.domain import Level, Severity
from redline.notify import Notifier, WebhookChannel
from redline.services import open_store
from redline.services.ingest import record_window
from redline.services.notifications import queue_notice
from redline.services.response import ResponsePlan
from redline.services.tokens import create_token
from redline.store import Store, list_incidents, list_notifications
from redline.worker import Worker

HOOK = "https://hooks.example.test/redline"
MODELS = 12


@pytest.fixture
def store(empty_url: str) -> Iterator[Store]:
    opened = open_store(empty_url)
    yield opened
    opened.dispose()


def _plan() -> ResponsePlan:
    return ResponsePlan(
        channels={"ops": WebhookChannel(HOOK, name="ops")}, paged={Severity.SEV2: ("ops",)}
    )


def _notifier(received: list[str]) -> Notifier:
    def receive(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.read())
        received.append(f"{body['key']} {body['event']}")
        return httpx.Response(202)

    client = httpx.Client(transport=httpx.MockTransport(receive))
    return Notifier({"ops": WebhookChannel(HOOK, name="ops")}, client, retries=0)


def test_two_workers_send_each_notice_exactly_once(store: Store, empty_url: str) -> None:
    for index in range(MODELS):  # one SEV2 incident per model, each with a notice queued
        closed = closed_window(f"m{index:02d}", 0, level=Level.ALARM)
        assert record_window(store, closed, plan=_plan())
    with store.session() as session:
        for row in list_incidents(session):
            queue_notice(session, row, event="trigger", channels=["ops"], summary="", now=START)
        assert len(list_notifications(session, status="pending")) == MODELS
    received: list[str] = []
    others = [Store.from_url(empty_url) for _ in range(3)]
    stop = threading.Event()

    def send(worker_store: Store) -> None:
        # Before any acknowledgement deadline, so the outbox holds only the incidents' notices.
        clock = lambda: START + timedelta(minutes=10)  # noqa: E731
        worker = Worker(worker_store, plan=_plan(), notifier=_notifier(received), clock=clock)
        while not stop.is_set():
            worker.tick()  # a job that fails is logged; the next tick tries again
            with worker_store.reading() as session:
                if not list_notifications(session, status="pending"):
                    return

    def write() -> None:  # commits between the senders' reads and writes
        index = 0
        while not stop.is_set():
            create_token(others[2], name=f"busy-{index}", role="viewer")
            index += 1
            stop.wait(0.002)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        run_threads([lambda: send(others[0]), lambda: send(others[1])], timeout_s=60)
    finally:
        stop.set()
        writer.join(timeout=30)
        for other in others:
            other.dispose()
    with store.reading() as session:
        sent = list_notifications(session, status="sent")
    assert len(sent) == MODELS
    assert len(received) == MODELS, f"{len(received) - MODELS} notices were sent twice"
    assert len(set(received)) == MODELS
