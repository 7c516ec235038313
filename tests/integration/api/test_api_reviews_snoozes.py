"""The review queue and snoozes over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api_support import MODEL, Api, fit_reference, window_payload


def _queue(api: Api) -> int:
    item = {
        "window": window_payload(fit_reference()),
        "reviews": [
            {
                "request_id": "r9",
                "reason": "low_confidence",
                "input": {"x": 2.0},
                "output": "approve",
                "confidence": 0.4,
                "threshold": 0.6,
            }
        ],
    }
    with api.client("responder") as client:
        client.post(f"/api/v1/models/{MODEL}/windows", json={"windows": [item]}).raise_for_status()
        (pending,) = client.get("/api/v1/reviews").json()
    return int(pending["id"])


def test_decide_a_review_once(api: Api) -> None:
    item_id = _queue(api)
    url = f"/api/v1/reviews/{item_id}/decision"
    with api.client("responder") as client:
        incomplete = client.post(url, json={"decision": "override"})
        decided = client.post(url, json={"decision": "override", "final_output": "deny"})
        again = client.post(url, json={"decision": "accept"})
        pending = client.get("/api/v1/reviews").json()
        done = client.get("/api/v1/reviews", params={"status": "decided"}).json()
        unknown = client.post("/api/v1/reviews/999/decision", json={"decision": "accept"})
    assert incomplete.status_code == 400
    assert "needs the correct output" in incomplete.json()["detail"]
    assert decided.status_code == 200
    assert (decided.json()["decision"], decided.json()["final_output"]) == ("override", "deny")
    assert decided.json()["reviewer"] == "token:responder-test"
    assert again.status_code == 400
    assert "already decided" in again.json()["detail"]
    assert pending == []
    assert [d["id"] for d in done] == [item_id]
    assert unknown.status_code == 400


def test_snoozes_need_a_future_expiry_and_a_reason(api: Api) -> None:
    until = datetime.now(UTC) + timedelta(hours=2)
    with api.client("responder") as client:
        created = client.post(
            "/api/v1/snoozes",
            json={"pattern": "credit|drift|*", "until": until.isoformat(), "reason": "deploy"},
        )
        past = client.post(
            "/api/v1/snoozes",
            json={"pattern": "*", "until": "2020-01-01T00:00:00+00:00", "reason": "old"},
        )
        naive = client.post(
            "/api/v1/snoozes", json={"pattern": "*", "until": "2030-01-01T00:00:00", "reason": "r"}
        )
        no_reason = client.post(
            "/api/v1/snoozes", json={"pattern": "*", "until": until.isoformat(), "reason": " "}
        )
        active = client.get("/api/v1/snoozes").json()
        every = client.get("/api/v1/snoozes", params={"active": False}).json()
    assert created.status_code == 201
    assert created.json()["created_by"] == "token:responder-test"
    assert past.status_code == 400
    assert "not in the future" in past.json()["detail"]
    assert naive.status_code == no_reason.status_code == 422
    assert (
        [s["fingerprint_pattern"] for s in active]
        == ["credit|drift|*"]
        == [s["fingerprint_pattern"] for s in every]
    )
