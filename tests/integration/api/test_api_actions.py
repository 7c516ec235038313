"""Actions over HTTP: apply (idempotent by key), revert, list; bad params and conflicts refused."""

from __future__ import annotations

from api_support import MODEL, Api

URL = f"/api/v1/models/{MODEL}/actions"


def test_apply_repeat_list_and_revert(api: Api) -> None:
    body = {"type": "block_source", "params": {"source": "10.0.0.0/8"}, "idempotency_key": "k1"}
    with api.client("responder") as client:
        applied = client.post(URL, json=body)
        repeated = client.post(URL, json=body)
        action_id = applied.json()["action_id"]
        listed = client.get("/api/v1/actions", params={"model": MODEL}).json()
        one = client.get(f"/api/v1/actions/{action_id}").json()
        route = client.get(f"/api/v1/models/{MODEL}/route").json()
        reverted = client.post(f"/api/v1/actions/{action_id}/revert")
        twice = client.post(f"/api/v1/actions/{action_id}/revert")
        after = client.get(f"/api/v1/models/{MODEL}/route").json()
    assert applied.status_code == 201
    assert applied.json()["status"] == "applied"
    assert applied.json()["revision"] == 1
    assert repeated.status_code == 200
    assert repeated.json()["created"] is False
    assert repeated.json()["action_id"] == action_id
    assert [a["id"] for a in listed] == [action_id]
    assert one["trigger"] == "token:responder-test"
    assert one["idempotency_key"] == "k1"
    assert route["state"]["blocked_sources"] == ["10.0.0.0/8"]
    assert reverted.status_code == 200
    assert reverted.json()["status"] == "reverted"
    assert twice.status_code == 409  # the action status table refuses reverted -> reverted
    assert after["revision"] == 2
    assert after["state"]["blocked_sources"] == []


def test_an_action_for_an_incident_lands_on_its_timeline(api: Api) -> None:
    key = api.incident(level="warning", kind="latency")
    with api.client("responder") as client:
        applied = client.post(URL, json={"type": "kill_switch", "incident": key})
        timeline = client.get(f"/api/v1/incidents/{key}").json()["timeline"]
        missing = client.post(URL, json={"type": "kill_switch", "incident": "RL-1999-0009"})
    assert applied.status_code == 201
    assert "action_applied" in [e["kind"] for e in timeline]
    assert missing.status_code == 404


def test_bad_params_and_keys_are_refused_without_a_500(api: Api) -> None:
    with api.client("responder") as client:
        no_threshold = client.post(URL, json={"type": "threshold_change", "params": {}})
        not_a_number = client.post(
            URL, json={"type": "threshold_change", "params": {"threshold": "high"}}
        )
        too_high = client.post(URL, json={"type": "threshold_change", "params": {"threshold": 1.7}})
        wrong_mode = client.post(
            URL,
            json={"type": "threshold_change", "params": {"threshold": 0.5, "review_mode": "x"}},
        )
        client.post(URL, json={"type": "kill_switch", "idempotency_key": "shared"})
        conflict = client.post(URL, json={"type": "block_source", "idempotency_key": "shared"})
        unknown_type = client.post(URL, json={"type": "self_destruct"})
        unknown_action = client.post("/api/v1/actions/999/revert")
    assert no_threshold.status_code == 422  # refused before anything is recorded
    assert "needs the parameter 'threshold'" in str(no_threshold.json()["detail"])
    assert not_a_number.status_code == 422
    assert too_high.status_code == 422
    assert "threshold must be between 0 and 1" in str(too_high.json()["detail"])
    assert "threshold must be a number, got 'high'" in str(not_a_number.json()["detail"])
    assert wrong_mode.status_code == 400
    assert conflict.status_code == 409
    assert "already belongs to action" in conflict.json()["detail"]
    assert unknown_type.status_code == 422
    assert unknown_action.status_code == 404
