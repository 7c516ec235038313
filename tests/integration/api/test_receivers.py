"""Alertmanager webhooks and PagerDuty events, sent to a live server, filed as signals once."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from api_support import Api

from redline.api.schemas_receivers import AlertmanagerWebhookCreate
from redline.services.receivers import receive_alertmanager
from redline.store import list_audit

AM = "/api/v1/receivers/alertmanager"
PD = "/api/v1/receivers/pagerduty"
STARTS = "2026-11-02T09:00:00.123456789Z"


def am_alert(
    status: str = "firing", *, fingerprint: str = "a1b2c3d4e5f60718", **labels: str
) -> dict[str, Any]:
    """One alert exactly as Alertmanager 0.27 sends it."""
    return {
        "status": status,
        "labels": {"alertname": "RecallDrop", "severity": "critical", **labels},
        "annotations": {"summary": "fraud recall fell 20%", "value": "0.61", "threshold": "0.7"},
        "startsAt": STARTS,
        "endsAt": "2026-11-02T09:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=recall%3C0.7",
        "fingerprint": fingerprint,
    }


def am_webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4) around ``alerts``."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="RecallDrop"}',
        "truncatedAlerts": 0,
        "status": alerts[0]["status"],
        "receiver": "redline",
        "groupLabels": {"alertname": "RecallDrop"},
        "commonLabels": {"alertname": "RecallDrop"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def pd_event(action: str = "trigger", **custom: Any) -> dict[str, Any]:
    """A PagerDuty Events v2 event as a monitoring tool sends it."""
    event: dict[str, Any] = {
        "routing_key": "R0UT1NGKEY0000000000000000000000",
        "event_action": action,
        "dedup_key": "fraud-recall-credit",
    }
    if action == "trigger":
        event["payload"] = {
            "summary": "fraud recall fell 20% on credit",
            "source": "eval-job-7",
            "severity": "error",
            "timestamp": "2026-11-02T09:00:00.000+00:00",
            "class": "recall_drop",
            "custom_details": {"model": "credit", "kind": "performance_drop", **custom},
        }
    return event


def _signals(client: httpx.Client, model: str = "credit") -> list[dict[str, Any]]:
    answer = client.get("/api/v1/signals", params={"model": model})
    answer.raise_for_status()
    return list(answer.json())


def _incident(client: httpx.Client, key: str) -> dict[str, Any]:
    answer = client.get(f"/api/v1/incidents/{key}")
    answer.raise_for_status()
    return dict(answer.json())


def test_alertmanager_firing_repeats_and_resolved_never_resolving(api: Api) -> None:
    firing = am_webhook(am_alert(model="credit", kind="performance_drop"))
    with api.client("responder") as client:
        first = client.post(AM, json=firing)
        repeat = client.post(AM, json=firing)  # Alertmanager re-sends every repeat_interval
        assert first.status_code == repeat.status_code == 200
        (filed,) = first.json()["alerts"]
        assert first.json()["stored"] == 1
        assert repeat.json()["stored"] == 0
        assert repeat.json()["duplicates"] == 1
        assert repeat.json()["alerts"][0]["incident"] == filed["incident"]
        (signal,) = _signals(client)
        assert (signal["source"], signal["status"], signal["level"]) == (
            "alertmanager",
            "firing",
            "critical",
        )
        assert (signal["kind"], signal["statistic"], signal["value"]) == (
            "performance_drop",
            "RecallDrop",
            0.61,
        )
        assert signal["evidence"]["labels"]["model"] == "credit"
        before = _incident(client, filed["incident"])
        assert before["incident"]["severity"] == "SEV2"  # the default policy: degradation
        assert before["incident"]["status"] == "declared"
        assert [a["type"] for a in before["actions"]] == ["route_fallback"]

        resolved = am_webhook(am_alert("resolved", model="credit", kind="performance_drop"))
        done = client.post(AM, json=resolved)
        again = client.post(AM, json=resolved)
        assert done.json()["stored"] == 1
        assert again.json()["duplicates"] == 1
        after = _incident(client, filed["incident"])
        statuses = sorted(s["status"] for s in _signals(client))
    assert statuses == ["firing", "resolved"]
    assert after["incident"]["status"] == before["incident"]["status"]
    assert after["incident"]["resolved_at"] is None
    upstream = [e for e in after["timeline"] if e["kind"] == "upstream_resolved"]
    assert len(upstream) == 1
    assert "never changes" in upstream[0]["details"]["note"]
    assert sorted(s["status"] for s in after["signals"]) == ["firing", "resolved"]


def test_one_notification_sent_at_once_by_every_replica_is_filed_once(api: Api) -> None:
    # Alertmanager in HA sends each notification from every replica at the same moment. The
    # receivers are called directly: on SQLite, token checks of concurrent requests can
    # collide before the receiver runs (tokens.authenticate), which is not what this tests.
    body = AlertmanagerWebhookCreate.model_validate(
        am_webhook(am_alert(model="credit", kind="performance_drop"))
    ).model_dump()

    def send(_: int) -> int:
        receipts = receive_alertmanager(api.store, payload=body, actor="test:replica")
        return sum(not r.duplicate for r in receipts)

    with ThreadPoolExecutor(max_workers=6) as pool:
        stored = list(pool.map(send, range(6)))
    assert sorted(stored) == [0, 0, 0, 0, 0, 1]
    with api.client("viewer") as viewer:
        assert len(_signals(viewer)) == 1
        assert len(viewer.get("/api/v1/incidents").json()) == 1


def test_alertmanager_severity_policy_and_model_from_label_or_query(api: Api) -> None:
    body = am_webhook(
        am_alert(fingerprint="f1", model="credit", kind="outage"),  # SEV1: kill switch
        am_alert(fingerprint="f2", severity="warning"),  # no label: ?model=
    )
    with api.client("responder") as client:
        answer = client.post(AM, json=body, params={"model": "churn"})
        assert answer.status_code == 200, answer.text
        outage, warning = answer.json()["alerts"]
        assert (outage["model"], warning["model"]) == ("credit", "churn")
        sev1 = _incident(client, outage["incident"])
        sev3 = _incident(client, warning["incident"])
        route = client.get("/api/v1/models/credit/route").json()
    assert sev1["incident"]["severity"] == "SEV1"
    assert "kill_switch" in [a["type"] for a in sev1["actions"]]
    assert route["state"]["mode"] == "fallback"
    assert sev3["incident"]["severity"] == "SEV3"
    assert (sev3["incident"]["status"], sev3["actions"]) == ("triage", [])


def test_pagerduty_trigger_acknowledge_resolve(api: Api) -> None:
    with api.client("responder") as client:
        trigger = client.post(PD, json=pd_event())
        assert trigger.status_code == 202, trigger.text
        assert trigger.json()["status"] == "success"
        assert trigger.json()["dedup_key"] == "fraud-recall-credit"
        key = trigger.json()["alert"]["incident"]
        assert client.post(PD, json=pd_event()).json()["alert"]["duplicate"] is True
        ack = client.post(PD, json=pd_event("acknowledge"))  # no payload: the trigger's model
        resolve = client.post(PD, json=pd_event("resolve"))
        assert ack.status_code == resolve.status_code == 202
        assert client.post(PD, json=pd_event("resolve")).json()["alert"]["duplicate"] is True
        assert ack.json()["alert"]["model"] == resolve.json()["alert"]["model"] == "credit"
        detail = _incident(client, key)
        signals = _signals(client)
    assert detail["incident"]["severity"] == "SEV2"
    assert detail["incident"]["acknowledged_at"] is None  # an upstream ack is not an owner
    assert detail["incident"]["resolved_at"] is None
    kinds = [e["kind"] for e in detail["timeline"]]
    assert "upstream_acknowledged" in kinds
    assert "upstream_resolved" in kinds
    assert sorted((s["source"], s["status"]) for s in signals) == [
        ("pagerduty", "firing"),
        ("pagerduty", "resolved"),
    ]
    assert all("routing_key" not in str(s["evidence"]) for s in signals)
    assert signals[-1]["evidence"]["summary"] == "fraud recall fell 20% on credit"


def test_pagerduty_trigger_without_dedup_key_gets_a_stable_one(api: Api) -> None:
    event = pd_event()
    del event["dedup_key"]
    with api.client("responder") as client:
        first = client.post(PD, json=event).json()
        second = client.post(PD, json=event).json()
        assert len(_signals(client)) == 1
    assert first["dedup_key"] == second["dedup_key"]
    assert (first["alert"]["duplicate"], second["alert"]["duplicate"]) == (False, True)


def test_viewers_and_strangers_are_refused(api: Api) -> None:
    body = am_webhook(am_alert(model="credit"))
    for role, code in (("viewer", 403), (None, 401)):
        with api.client(role) as client:
            assert client.post(AM, json=body).status_code == code
            assert client.post(PD, json=pd_event()).status_code == code
    with api.client("viewer") as viewer:
        assert _signals(viewer) == []


def _without_model() -> dict[str, Any]:
    return am_webhook(am_alert(fingerprint="ok", model="credit"), am_alert(fingerprint="x"))


def _mutated(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    body = am_webhook(am_alert(model="credit"))
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


MALFORMED_AM = {
    "no model": _without_model(),
    "model too long": am_webhook(am_alert(model="m" * 201)),
    "unknown status": _mutated(("alerts", 0, "status"), "pending"),
    "no startsAt": _mutated(("alerts", 0, "startsAt"), None),
    "naive startsAt": _mutated(("alerts", 0, "startsAt"), "2026-11-02T09:00:00"),
    "alerts not a list": _mutated(("alerts",), {"status": "firing"}),
    "too many alerts": _mutated(("alerts",), [am_alert(model="credit")] * 1001),
    "label value too long": _mutated(("alerts", 0, "labels", "team"), "t" * 1001),
    "too many labels": _mutated(("alerts", 0, "labels"), {f"l{i}": "v" for i in range(65)}),
    "NUL in an annotation": _mutated(("alerts", 0, "annotations", "summary"), "a\x00b"),
    "version 3": _mutated(("version",), "3"),
}


def _pd(change: dict[str, Any], action: str = "trigger") -> dict[str, Any]:
    event = copy.deepcopy(pd_event(action))
    event.update(change)
    return event


MALFORMED_PD = {
    "no model": _pd({"payload": {"summary": "s", "source": "x", "severity": "error"}}),
    "trigger without payload": _pd({"payload": None}),
    "resolve without dedup_key": _pd({"dedup_key": None}, "resolve"),
    "resolve of an unknown trigger": _pd({"dedup_key": "never-seen"}, "resolve"),
    "bad severity": _pd({"payload": {"summary": "s", "source": "x", "severity": "sev0"}}),
    "summary too long": _pd(
        {"payload": {"summary": "s" * 1025, "source": "x", "severity": "error"}}
    ),
    "unknown action": _pd({"event_action": "escalate"}),
    "no routing_key": _pd({"routing_key": ""}),
}


MALFORMED = [(AM, name, body) for name, body in MALFORMED_AM.items()] + [
    (PD, name, body) for name, body in MALFORMED_PD.items()
]


def test_malformed_payloads_get_422_and_store_nothing(api: Api) -> None:
    with api.client("responder") as client:
        for path, name, body in MALFORMED:  # one server for every case keeps this fast
            answer = client.post(path, json=body)
            assert answer.status_code == 422, f"{path} {name}: {answer.text}"
            errors = answer.json()["detail"]
            assert all({"loc", "msg", "type"} <= set(e) for e in errors), name
        assert _signals(client) == []
        assert client.get("/api/v1/incidents").json() == []
    with api.store.session() as session:
        assert [e.action for e in list_audit(session) if "alert" in e.action] == []


def test_a_missing_model_says_how_to_name_one(api: Api) -> None:
    with api.client("responder") as client:
        answer = client.post(AM, json=_without_model())
    (error,) = answer.json()["detail"]
    assert error["loc"] == ["body", "alerts", 1, "labels", "model"]
    assert "'model' label" in error["msg"]
    assert "?model=" in error["msg"]
