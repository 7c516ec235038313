"""Containment SLAs: an open SEV2 not contained in time is escalated once, however many workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from worker_support import (
    HOOK,
    closed_window,
    paging_plan,
    race_paging_workers,
    recording_notifier,
    store_fixture,
)

from redline.domain import Level, Severity
from redline.notify.channels import WebhookChannel
from redline.services.ingest import record_window
from redline.services.response import ResponsePlan
from redline.store import Store, list_incidents, list_notifications, list_timeline
from redline.worker import CONTAIN_ESCALATION_KIND, ESCALATION_KIND, Worker

store = store_fixture()


def _events(store: Store, model: str) -> tuple[list[str], list[str]]:
    with store.session() as session:
        (incident,) = list_incidents(session, model=model)
        events = [e.kind for e in list_timeline(session, incident_id=incident.id)]
        notes = [
            str(n.payload["summary"]) for n in list_notifications(session, incident_id=incident.id)
        ]
    return events, notes


def test_an_uncontained_sev2_is_escalated_once_by_two_workers(
    store: Store, migrated_url: str
) -> None:
    detected = datetime.now(UTC) - timedelta(hours=5)  # SEV2 must be contained within 4 h
    closed = closed_window("credit", 0, level=Level.ALARM, start=detected)
    # The fallback is applied, never verified.
    assert record_window(store, closed, plan=paging_plan())
    sent: list[str] = []
    summary = race_paging_workers(migrated_url, lambda r: sent.append(r.read().decode()))
    assert (summary.escalated_uncontained, summary.errors) == ([], [])
    events, notes = _events(store, "credit")
    assert events.count(CONTAIN_ESCALATION_KIND) == 1
    assert events.count(ESCALATION_KIND) == 1  # acknowledgement is a clock of its own
    assert sum("not contained within 240 min" in note for note in notes) == 1


def test_a_contained_or_recent_incident_is_not_escalated(store: Store) -> None:
    now = datetime.now(UTC)
    long_ago = now - timedelta(hours=5)
    fresh = closed_window("fresh", 0, level=Level.ALARM, start=now)
    assert record_window(store, fresh, plan=paging_plan())
    assert record_window(
        store, closed_window("held", 0, level=Level.ALARM, start=long_ago), plan=paging_plan()
    )
    served = closed_window("held", 1, start=long_ago)
    served.signals.clear()
    served.window.routes, served.window.route_revision = {"fallback": 20}, 1
    assert record_window(store, served, plan=paging_plan())  # verifies the fallback: contained
    summary = Worker(store, plan=paging_plan(), notifier=recording_notifier(lambda r: None)).tick()
    assert (summary.escalated_uncontained, summary.errors) == ([], [])
    with store.session() as session:
        (held,) = list_incidents(session, model="held")
    assert held.contained_at is not None
    assert CONTAIN_ESCALATION_KIND not in _events(store, "held")[0]
    assert CONTAIN_ESCALATION_KIND not in _events(store, "fresh")[0]


def test_drift_under_investigation_has_no_containment_clock(store: Store) -> None:
    # The default policy keeps evidence on confirmed drift and moves no traffic: nothing is
    # owed a containment, so nothing is escalated for the lack of one.
    detected = datetime.now(UTC) - timedelta(hours=5)
    plan = ResponsePlan(
        channels={"ops": WebhookChannel(HOOK, name="ops")}, paged={Severity.SEV2: ("ops",)}
    )
    closed = closed_window("watched", 0, level=Level.ALARM, start=detected)
    assert record_window(store, closed, plan=plan)
    summary = Worker(store, plan=plan, notifier=recording_notifier(lambda r: None)).tick()
    assert (summary.escalated_uncontained, summary.errors) == ([], [])
    events, _ = _events(store, "watched")
    assert CONTAIN_ESCALATION_KIND not in events
    assert ESCALATION_KIND in events  # it is still owed an acknowledgement
