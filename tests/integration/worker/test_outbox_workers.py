"""Two workers sending one outbox while another connection writes: each notice goes once."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import httpx
from worker_support import (
    START,
    closed_window,
    paging_plan,
    recording_notifier,
    run_threads,
    store_fixture,
)

from redline.domain import Level
from redline.services.ingest import record_window
from redline.services.notifications import queue_notice
from redline.services.tokens import create_token
from redline.store import Store, list_incidents, list_notifications
from redline.worker import Worker

MODELS = 12


store = store_fixture()


def _notice(request: httpx.Request) -> str:
    body = json.loads(request.read())
    return f"{body['key']} {body['event']}"


def test_two_workers_send_each_notice_exactly_once(store: Store, migrated_url: str) -> None:
    for index in range(MODELS):  # one SEV2 incident per model, each with a notice queued
        closed = closed_window(f"m{index:02d}", 0, level=Level.ALARM)
        assert record_window(store, closed, plan=paging_plan())
    with store.session() as session:
        for row in list_incidents(session):
            queue_notice(session, row, event="trigger", channels=["ops"], summary="", now=START)
        assert len(list_notifications(session, status="pending")) == MODELS
    received: list[str] = []
    others = [Store.from_url(migrated_url) for _ in range(3)]
    stop = threading.Event()

    def send(worker_store: Store) -> None:
        # Before any acknowledgement deadline, so the outbox holds only the incidents' notices.
        clock = lambda: START + timedelta(minutes=10)  # noqa: E731
        worker = Worker(
            worker_store,
            plan=paging_plan(),
            notifier=recording_notifier(lambda r: received.append(_notice(r))),
            clock=clock,
        )
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
