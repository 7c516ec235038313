"""Over HTTP: resolving under containment needs a restore or an accepted reason; a model off its
primary route reads as degraded until the restore puts it back."""

from __future__ import annotations

from api_support import MODEL, Api, fit_reference, window_payload


def test_resolve_under_containment_needs_a_restore_or_an_accepted_reason(api: Api) -> None:
    reference = fit_reference()
    key = api.incident()
    windows = f"/api/v1/models/{MODEL}/windows"
    transitions = f"/api/v1/incidents/{key}/transitions"
    with api.client("responder") as client:
        fallback = {"type": "route_fallback", "incident": key}
        client.post(f"/api/v1/models/{MODEL}/actions", json=fallback).raise_for_status()
        early = client.post(f"/api/v1/incidents/{key}/restore")
        for index in (1, 2, 3):  # verified, then quiet on the fallback: the system restores
            served = window_payload(reference, index=index, route="fallback", revision=1)
            client.post(windows, json={"windows": [{"window": served}]}).raise_for_status()
        actions = client.get("/api/v1/actions", params={"incident": key}).json()
        (restore,) = [a for a in actions if a["type"] == "restore"]
        waiting = client.post(transitions, json={"event": "resolve", "accept_containment": "ok"})
        client.post(f"/api/v1/actions/{restore['id']}/revert").raise_for_status()
        refused = client.post(transitions, json={"event": "resolve"})
        reason = "the rules serve well enough until v3"
        accepted = client.post(transitions, json={"event": "resolve", "accept_containment": reason})
        (degraded,) = client.get("/api/v1/models").json()
        restored = client.post(f"/api/v1/incidents/{key}/restore")
        route = client.get(f"/api/v1/models/{MODEL}/route").json()
        detail = client.get(f"/api/v1/incidents/{key}").json()
    assert early.status_code == 409
    assert "restore it from" in early.json()["detail"]
    assert (restore["status"], restore["trigger"]) == ("applied", "system")
    assert waiting.status_code == 409
    assert "a restore is waiting for its verification" in waiting.json()["detail"]
    assert refused.status_code == 409
    assert "--accept-containment" in refused.json()["detail"]
    assert accepted.json() == {"key": key, "status": "resolved"}
    assert detail["resolution_reason"] == f"containment accepted as the new normal: {reason}"
    assert (degraded["degraded"], degraded["departures"]) == (True, ["fallback"])
    assert restored.status_code == 201
    assert (route["state"]["mode"], route["degraded"]) == ("primary", False)
