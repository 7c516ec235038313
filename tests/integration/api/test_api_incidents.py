"""Incidents over HTTP: list and filter, show, transition (409 when refused), acknowledge, notes."""

from __future__ import annotations

import httpx
import pytest
from api_support import MODEL, Api

from redline.api.dashboard import incidents as dashboard_incidents


def test_list_filter_and_show_an_incident(api: Api) -> None:
    key = api.incident(level="alarm")
    with api.client("viewer") as client:
        listed = client.get("/api/v1/incidents", params={"model": MODEL, "open": True}).json()
        by_status = client.get("/api/v1/incidents", params=[("status", "declared")]).json()
        none = client.get("/api/v1/incidents", params={"severity": "SEV1"}).json()
        other = client.get("/api/v1/incidents", params={"model": "other"}).json()
        detail = client.get(f"/api/v1/incidents/{key}").json()
    assert [i["key"] for i in listed] == [key] == [i["key"] for i in by_status]
    assert none == [] == other
    assert detail["incident"]["severity"] == "SEV2"
    assert detail["chain_intact"] is True
    assert [s["kind"] for s in detail["signals"]] == ["feature_drift"]
    assert detail["actions"] == []  # drift alone: evidence and investigation, no route change
    assert all(e["verified"] for e in detail["timeline"])
    assert detail["next_events"] == ["contain", "monitor"]


def test_transition_refused_by_the_table_is_409_and_allowed_one_moves(api: Api) -> None:
    key = api.incident(level="warning", kind="latency")  # SEV3, in triage
    with api.client("responder") as client:
        refused = client.post(
            f"/api/v1/incidents/{key}/transitions", json={"event": "close", "reason": "done"}
        )
        dismissed = client.post(
            f"/api/v1/incidents/{key}/transitions", json={"event": "dismiss", "reason": "noise"}
        )
        unknown = client.post(f"/api/v1/incidents/{key}/transitions", json={"event": "explode"})
        detail = client.get(f"/api/v1/incidents/{key}").json()
    assert refused.status_code == 409
    assert refused.json()["detail"]
    assert unknown.status_code == 422
    assert dismissed.status_code == 200
    assert dismissed.json() == {"key": key, "status": "dismissed"}
    assert detail["incident"]["status"] == "dismissed"
    (event,) = [e for e in detail["timeline"] if e["kind"] == "status"]
    assert event["actor"] == "token:responder-test"
    assert event["details"]["reason"] == "noise"


def test_acknowledge_once_and_a_repeat_names_the_first(api: Api) -> None:
    key = api.incident(level="warning", kind="latency")
    with api.client("responder") as client:
        first = client.post(f"/api/v1/incidents/{key}/acknowledge")
    with api.client("admin") as client:
        again = client.post(f"/api/v1/incidents/{key}/acknowledge")
    assert first.status_code == again.status_code == 200
    assert first.json()["new"] is True
    assert again.json()["new"] is False
    assert again.json()["actor"] == "token:responder-test"


def test_a_note_lands_on_the_timeline_as_kind_note(api: Api) -> None:
    key = api.incident(level="warning", kind="latency")
    with api.client("responder") as client:
        written = client.post(f"/api/v1/incidents/{key}/notes", json={"text": "  p99 up on eu  "})
        blank = client.post(f"/api/v1/incidents/{key}/notes", json={"text": "   "})
        timeline = client.get(f"/api/v1/incidents/{key}").json()["timeline"]
        verified = client.get("/api/v1/audit/verify").json()
    assert written.status_code == 201
    assert written.json()["text"] == "p99 up on eu"
    (note,) = [e for e in timeline if e["kind"] == "note"]
    assert note["details"] == {"text": "p99 up on eu"}
    assert note["hash"] == written.json()["hash"]
    assert note["verified"] is True
    assert blank.status_code == 422
    assert verified["intact"] is True
    assert verified["timelines"] == 1


def test_unknown_incidents_are_404_everywhere(api: Api) -> None:
    with api.client("admin") as client:
        answers = [
            client.get("/api/v1/incidents/RL-1999-0001"),
            client.post("/api/v1/incidents/RL-1999-0001/acknowledge"),
            client.post("/api/v1/incidents/RL-1999-0001/notes", json={"text": "x"}),
            client.post("/api/v1/incidents/RL-1999-0001/transitions", json={"event": "resolve"}),
            client.get("/api/v1/notifications", params={"incident": "RL-1999-0001"}),
            client.get("/api/v1/actions", params={"incident": "RL-1999-0001"}),
        ]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert all("RL-1999-0001" in a.json()["detail"] for a in answers)


def test_a_long_timeline_lists_its_newest_events_and_counts_its_signals(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = api.incident(level="warning", kind="latency")
    with api.client("responder") as client:
        for i in range(4):
            client.post(f"/api/v1/incidents/{key}/notes", json={"text": f"note-{i}"})
        detail = client.get(f"/api/v1/incidents/{key}").json()
    assert detail["signals_total"] == len(detail["signals"]) == 1
    (count,) = detail["signal_counts"]
    assert (count["kind"], count["level"], count["count"]) == ("latency", "warning", 1)
    monkeypatch.setattr(dashboard_incidents, "TIMELINE_SHOWN", 2)
    total = len(detail["timeline"])
    with httpx.Client(base_url=api.url, timeout=30.0) as browser:
        assert browser.post("/login", data={"token": api.tokens["viewer"]}).status_code == 303
        newest = browser.get(f"/incidents/{key}").text.split('id="timeline"', 1)[1]
        everything = browser.get(f"/incidents/{key}?timeline=all").text.split('id="timeline"')[1]
    assert "note-3" in newest
    assert "note-1" not in newest  # older than the newest two
    assert f"{total - 2} earlier events" in newest
    assert f"show all {total}" in newest
    assert all(f"note-{i}" in everything for i in range(4))
    assert "earlier events" not in everything
