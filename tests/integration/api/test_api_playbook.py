"""The server responds with its own playbook (``api.playbook``), not the built-in policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from api_support import MODEL, Api, api_settings, drift_signal, fit_reference, window_payload
from test_receivers import AM, am_alert, am_webhook

from redline.api import create_app
from redline.playbook import PlaybookError
from redline.playbook.policy import DEFAULT_RULES

#: Differs from the built-in policy: drift and performance drops are SEV1, rerouted at once.
STRICT_RULE: dict[str, Any] = {
    "match": {"kinds": ["feature_drift", "performance_drop"]},
    "severity": "SEV1",
    "actions": ["snapshot", "route_fallback"],
}


def _playbook(directory: Path) -> Path:
    body = {
        "version": 1,
        "models": {MODEL: {"reference": "reference.json", "primary": f"{MODEL}:v1"}},
        "severity": {"version": "tests-server", "rules": [STRICT_RULE, *DEFAULT_RULES]},
    }
    path = directory / "redline.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def _ingest_drift(api: Api, model: str, index: int) -> dict[str, Any]:
    """Post one window with a drift alarm over HTTP; the incident it opened and the route."""
    window = window_payload(fit_reference(), index=index)  # window ids are unique in a store
    body = {"windows": [{"window": window, "signals": [drift_signal()]}]}
    with api.client("responder") as client:
        client.post(f"/api/v1/models/{model}/windows", json=body).raise_for_status()
        (incident,) = client.get("/api/v1/incidents", params={"model": model}).json()
        route = client.get(f"/api/v1/models/{model}/route").json()
    return {"severity": incident["severity"], "mode": route["state"]["mode"]}


def test_a_window_posted_over_http_is_answered_with_the_servers_playbook(
    api_with: Callable[..., Api], tmp_path: Path
) -> None:
    built_in = api_with()
    assert _ingest_drift(built_in, "other", 0) == {"severity": "SEV2", "mode": "primary"}
    with_playbook = api_with(playbook=str(_playbook(tmp_path)))
    assert _ingest_drift(with_playbook, MODEL, 1) == {"severity": "SEV1", "mode": "fallback"}


def test_alert_receivers_answer_with_the_servers_playbook(
    api_with: Callable[..., Api], tmp_path: Path
) -> None:
    api = api_with(playbook=str(_playbook(tmp_path)))
    firing = am_webhook(am_alert(model=MODEL, kind="performance_drop"))
    with api.client("responder") as client:
        answer = client.post(AM, json=firing)
        answer.raise_for_status()
        (filed,) = answer.json()["alerts"]
        detail = client.get(f"/api/v1/incidents/{filed['incident']}").json()
    assert detail["incident"]["severity"] == "SEV1"  # the built-in policy says SEV2


def test_a_bad_playbook_stops_the_app_before_it_opens_the_store(
    empty_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("severity:\n  rules: [{severity: SEV9}]\n", encoding="utf-8")
    with pytest.raises(PlaybookError):
        create_app(api_settings(empty_url, playbook=str(bad)))
