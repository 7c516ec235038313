"""Containment SLAs: an open SEV2 not contained in time is escalated once, however many workers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from worker_support import closed_window, run_threads

from redline.domain import Level, Severity
from redline.notify import Notifier, WebhookChannel
from redline.services import open_store
from redline.services.ingest import record_window
from redline.services.response import ResponsePlan
from redline.store import Store, list_incidents, list_notifications, list_timeline
from redline.worker import CONTAIN_ESCALATION_KIND, ESCALATION_KIND, Worker

HOOK = "https://hooks.example.test/redline"


@pytest.fixture
def store(empty_url: str) -> Iterator[Store]:
    opened = open_store(empty_url)
    yield opened
    opened.dispose()


def _plan() -> ResponsePlan:
    return ResponsePlan(
        channels={"ops": WebhookChannel(HOOK, name="ops")}, paged={Severity.SEV2: ("ops",)}
    )


def _notifier(sent: list[str]) -> Notifier:
    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request.read().decode())
        return httpx.Response(202)

    client = httpx.Client(transport=httpx.MockTransport(receive))
    return Notifier({"ops": WebhookChannel(HOOK, name="ops")}, client, retries=0)


def _events(store: Store, model: str) -> tuple[list[str], list[str]]:
    with store.session() as session:
        (incident,) = list_incidents(session, model=model)
        events = [e.kind for e in list_timeline(session, incident_id=incident.id)]
        notes = [
            str(n.payload["summary"]) for n in list_notifications(session, incident_id=incident.id)
        ]
    return events, notes


def test_an_uncontained_sev2_is_escalated_once_by_two_workers(store: Store, empty_url: str) -> None:
    detected = datetime.now(UTC) - timedelta(hours=5)  # SEV2 must be contained within 4 h
    closed = closed_window("credit", 0, level=Level.ALARM, start=detected)
    assert record_window(store, closed, plan=_plan())  # the fallback is applied, never verified
    sent: list[str] = []
    others = [Store.from_url(empty_url) for _ in range(2)]
    workers = [Worker(s, plan=_plan(), notifier=_notifier(sent)) for s in others]
    try:
        run_threads([w.tick for w in workers] * 2)
        summary = workers[0].tick()
    finally:
        for other in others:
            other.dispose()
    assert (summary.escalated_uncontained, summary.errors) == ([], [])
    events, notes = _events(store, "credit")
    assert events.count(CONTAIN_ESCALATION_KIND) == 1
    assert events.count(ESCALATION_KIND) == 1  # acknowledgement is a clock of its own
    assert sum("not contained within 240 min" in note for note in notes) == 1


def test_a_contained_or_recent_incident_is_not_escalated(store: Store) -> None:
    now = datetime.now(UTC)
    long_ago = now - timedelta(hours=5)
    fresh = closed_window("fresh", 0, level=Level.ALARM, start=now)
    assert record_window(store, fresh, plan=_plan())
    assert record_window(
        store, closed_window("held", 0, level=Level.ALARM, start=long_ago), plan=_plan()
    )
    served = closed_window("held", 1, start=long_ago)
    served.signals.clear()
    served.window.routes, served.window.route_revision = {"fallback": 20}, 1
    assert record_window(store, served, plan=_plan())  # verifies the fallback: contained
    summary = Worker(store, plan=_plan(), notifier=_notifier([])).tick()
    assert (summary.escalated_uncontained, summary.errors) == ([], [])
    with store.session() as session:
        (held,) = list_incidents(session, model="held")
    assert held.contained_at is not None
    assert CONTAIN_ESCALATION_KIND not in _events(store, "held")[0]
    assert CONTAIN_ESCALATION_KIND not in _events(store, "fresh")[0]
