"""The worker loop: SLA escalation once, incidents advanced, the API in worker mode, outages."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import httpx
from worker_support import (
    closed_window,
    paging_plan,
    race_paging_workers,
    store_fixture,
    store_windows,
)

from redline.api import create_app
from redline.api.server import ApiServer
from redline.domain import Level
from redline.services.acknowledge import acknowledge_incident
from redline.services.ingest import record_window, store_window
from redline.services.response import ResponsePlan
from redline.services.tokens import create_token
from redline.settings import ApiSettings, Settings, StoreSettings
from redline.store import (
    Store,
    get_window,
    list_incidents,
    list_notifications,
    list_timeline,
    list_unevaluated_windows,
)
from redline.worker import ESCALATION_KIND, Worker
from rltest.policy import drift_fallback_plan
from rltest.waiting import wait_for

store = store_fixture()


def _request(request: httpx.Request) -> dict[str, object]:
    return {"url": str(request.url), "body": request.read().decode()}


def test_an_unacknowledged_sev2_is_escalated_once_by_two_workers(
    store: Store, migrated_url: str
) -> None:
    detected = datetime.now(UTC) - timedelta(hours=2)  # SEV2 must be acknowledged within 1 h
    closed = closed_window("credit", 0, level=Level.ALARM, start=detected)
    assert record_window(store, closed, plan=paging_plan())
    sent: list[dict[str, object]] = []
    summary = race_paging_workers(migrated_url, lambda r: sent.append(_request(r)))
    assert summary.escalated == []
    with store.session() as session:
        (incident,) = list_incidents(session, model="credit")
        events = [e.kind for e in list_timeline(session, incident_id=incident.id)]
        notes = list_notifications(session, incident_id=incident.id)
    assert incident.severity == "SEV2"
    assert events.count(ESCALATION_KIND) == 1
    escalations = [n for n in notes if "not acknowledged" in n.payload["summary"]]
    assert [(n.channel, n.event, n.status) for n in escalations] == [("ops", "trigger", "sent")]
    delivered = sum("not acknowledged within 60 min" in str(s["body"]) for s in sent)
    assert delivered == 1


def test_an_acknowledged_or_recent_incident_is_not_escalated(store: Store) -> None:
    now = datetime.now(UTC)
    acked_window = closed_window("acked", 0, level=Level.ALARM, start=now - timedelta(hours=2))
    fresh_window = closed_window("fresh", 0, level=Level.ALARM, start=now)
    assert record_window(store, acked_window, plan=ResponsePlan())
    assert record_window(store, fresh_window, plan=ResponsePlan())
    with store.session() as session:
        (acked,) = list_incidents(session, model="acked")
    acknowledge_incident(store, key=acked.key, actor="person:alice")
    assert Worker(store).tick().escalated == []


def test_one_tick_responds_to_every_stored_window(store: Store) -> None:
    ids = store_windows(store, "credit", 120)
    summary = Worker(store, batch=25).tick()
    assert (summary.windows, summary.errors) == (120, [])
    with store.session() as session:
        assert list_unevaluated_windows(session) == []
        (incident,) = list_incidents(session, model="credit")
        assert get_window(session, window_id=ids[-1]) is not None
    assert incident.severity == "SEV3"


def _monitoring_with_quiet_windows(store: Store) -> str:
    """A SEV2 incident contained and monitored, then three quiet windows stored unanswered."""
    plan = drift_fallback_plan()
    assert record_window(store, closed_window("credit", 0, level=Level.ALARM), plan=plan)
    served = closed_window("credit", 1)
    served.signals.clear()
    served.window.routes, served.window.route_revision = {"fallback": 20}, 1
    assert record_window(store, served, plan=plan)  # verifies the fallback
    for index in (2, 3):
        quiet = closed_window("credit", index)
        quiet.signals.clear()
        assert record_window(store, quiet)  # evaluated, but nobody advanced the incident
    with store.session() as session:
        (incident,) = list_incidents(session, model="credit")
    assert incident.status == "monitoring"
    return incident.key


def _status(store: Store) -> str:
    with store.session() as session:
        (incident,) = list_incidents(session, model="credit")
        return incident.status


def test_ticks_restore_the_primary_then_resolve_on_a_clean_window(store: Store) -> None:
    key = _monitoring_with_quiet_windows(store)
    first = Worker(store).tick()
    assert (first.restored, first.advanced) == ([key], [])  # containment in force: restore first
    assert _status(store) == "monitoring"
    assert Worker(store).tick().restored == []  # one restore at a time
    clean = closed_window("credit", 4)
    clean.signals.clear()
    clean.window.routes, clean.window.route_revision = {"primary": 20}, 2
    assert store_window(store, clean)
    assert Worker(store, plan=drift_fallback_plan()).tick().windows == 1  # verifies, resolves
    assert _status(store) == "resolved"


def test_incidents_wait_while_their_model_has_windows_to_respond_to(store: Store) -> None:
    _monitoring_with_quiet_windows(store)
    waiting = closed_window("credit", 4, level=Level.ALARM)  # the drift is back
    assert store_window(store, waiting)
    assert Worker(store).tick(max_batches=0).advanced == []
    assert _status(store) == "monitoring"
    assert Worker(store).tick().windows == 1
    assert _status(store) == "monitoring"  # its signals kept the incident open


def test_a_tick_without_a_database_reports_errors_and_the_loop_carries_on() -> None:
    down = Store.from_url("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    worker = Worker(down, interval_s=0.05, max_backoff_s=0.1)
    stop = threading.Event()
    ticks: list[int] = []
    original = worker.tick

    def counted() -> object:
        summary = original()
        ticks.append(len(summary.errors))
        if len(ticks) == 3:
            stop.set()
        return summary

    worker.tick = counted  # type: ignore[method-assign]
    try:
        total = worker.run(stop)
    finally:
        down.dispose()
    assert ticks == [6, 6, 6]  # windows, snapshots, exits, incidents, SLAs, notifications
    assert total.windows == 0


def test_the_api_in_worker_mode_stores_windows_and_a_worker_responds(
    store: Store, migrated_url: str
) -> None:
    settings = Settings(store=StoreSettings(url=migrated_url), api=ApiSettings(evaluate="worker"))
    server = ApiServer(
        create_app(settings, store=store), host="127.0.0.1", port=0, log_level="warning"
    ).start()
    token, _ = create_token(store, name="guard", role="responder")
    closed = closed_window("credit", 0, level=Level.ALARM)
    body = {
        "windows": [
            {
                "window": closed.window.to_dict(),
                "signals": [
                    {k: v for k, v in s.to_dict().items() if k not in {"model", "fingerprint"}}
                    for s in closed.signals
                ],
            }
        ]
    }
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            answer = client.post(
                "/api/v1/models/credit/windows",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        server.stop()
    assert answer.status_code == 201, answer.text
    with store.session() as session:
        assert [w.id for w in list_unevaluated_windows(session)] == [closed.window.window_id]
        assert list_incidents(session, model="credit") == []
    worker = Worker(store)
    wait_for(lambda: worker.tick().windows == 1)
    with store.session() as session:
        assert list_unevaluated_windows(session) == []
        (incident,) = list_incidents(session, model="credit")
    assert (incident.severity, incident.status) == ("SEV2", "declared")
