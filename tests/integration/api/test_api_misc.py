"""Health, signals, notifications, tokens, and errors that are JSON with the right codes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from api_support import Api

from redline.api import create_app, factory
from redline.api.server import ApiServer
from redline.services.notifications import queue_notice
from redline.settings import Settings, StoreSettings
from redline.store import Store, get_incident


def test_health_is_503_when_the_store_is_unreachable(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    url = f"sqlite:///{gone / 'redline.db'}"
    store = Store.from_url(url)
    gone.rmdir()  # the store's directory disappears after start-up, before any connection
    app = create_app(Settings(store=StoreSettings(url=url)), store=store)
    server = ApiServer(app, host="127.0.0.1", port=0, log_level="critical").start()
    try:
        response = httpx.get(f"{server.url}/healthz")
    finally:
        server.stop()
        store.dispose()
    assert response.status_code == 503
    assert "cannot connect to the store" in response.json()["detail"]


def test_signals_filter_by_model_level_and_time(api: Api) -> None:
    api.incident(level="warning", kind="latency")
    with api.client("viewer") as client:
        every = client.get("/api/v1/signals").json()
        warnings = client.get("/api/v1/signals", params={"level": "warning"}).json()
        alarms = client.get("/api/v1/signals", params={"level": "alarm"}).json()
        future = client.get("/api/v1/signals", params={"since": "2999-01-01T00:00:00Z"}).json()
        naive = client.get("/api/v1/signals", params={"since": "2026-01-01T00:00:00"})
        other = client.get("/api/v1/signals", params={"model": "other"}).json()
    assert [s["kind"] for s in every] == ["latency"] == [s["kind"] for s in warnings]
    assert alarms == [] == future == other
    assert naive.status_code == 422
    assert every[0]["evidence"] == {"note": "test"}


def test_notifications_are_listed_and_filtered(api: Api) -> None:
    key = api.incident(level="warning", kind="latency")
    with api.store.session() as session:
        row = get_incident(session, key=key)
        assert row is not None
        queue_notice(
            session, row, event="trigger", channels=["pager"], summary="s", now=datetime.now(UTC)
        )
    with api.client("viewer") as client:
        (notice,) = client.get("/api/v1/notifications", params={"incident": key}).json()
        sent = client.get("/api/v1/notifications", params={"status": "sent"}).json()
        slack = client.get("/api/v1/notifications", params={"channel": "slack"}).json()
        invalid = client.get("/api/v1/notifications", params={"status": "lost"})
    assert (notice["channel"], notice["event"], notice["status"]) == ("pager", "trigger", "pending")
    assert sent == [] == slack
    assert invalid.status_code == 422


def test_tokens_are_created_shown_once_listed_and_revoked(api: Api) -> None:
    with api.client("admin") as admin:
        created = admin.post("/api/v1/tokens", json={"name": "guard-eu", "role": "responder"})
        secret, record = created.json()["token"], created.json()["record"]
        with httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {secret}"}) as guard:
            me = guard.get("/api/v1/tokens/me").json()
        listed = admin.get("/api/v1/tokens").json()
        me_admin = admin.get("/api/v1/tokens/me").json()
        self_revoke = admin.delete(f"/api/v1/tokens/{me_admin['id']}")
        revoked = admin.delete(f"/api/v1/tokens/{record['id']}")
        unknown = admin.delete("/api/v1/tokens/999")
        bad_role = admin.post("/api/v1/tokens", json={"name": "x", "role": "root"})
    assert created.status_code == 201
    assert secret.startswith("rl_")
    assert (me["name"], me["role"]) == ("guard-eu", "responder")
    assert secret not in str(listed)
    assert {t["name"] for t in listed} >= {"guard-eu", "admin-test"}
    assert self_revoke.status_code == 400
    assert revoked.json()["revoked_at"] is not None
    assert unknown.status_code == 404
    assert bad_role.status_code == 422


def test_errors_are_json_with_detail(api: Api) -> None:
    with api.client("admin") as client:
        not_json = client.post(
            "/api/v1/snoozes", content=b"{nope", headers={"Content-Type": "application/json"}
        )
        nul = client.get("/api/v1/incidents", params={"model": "a\x00b"})
        long_name = client.get(f"/api/v1/models/{'m' * 300}")
        huge_id = client.post(f"/api/v1/actions/{2**40}/revert")
        no_route = client.get("/api/v1/nothing-here")
        unknown_model = client.get("/api/v1/models/ghost")
    for response, code in (
        (not_json, 422),
        (nul, 400),
        (long_name, 422),
        (huge_id, 422),
        (no_route, 404),
        (unknown_model, 404),
    ):
        assert response.status_code == code, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["detail"]
    assert "ghost" in unknown_model.json()["detail"]


def test_the_uvicorn_factory_reads_the_environment(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDLINE_STORE__URL", empty_url)
    monkeypatch.setenv("REDLINE_API__METRICS_PUBLIC", "true")
    app = factory()
    server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
    try:
        assert httpx.get(f"{server.url}/healthz").json()["store_revision"] == "0011"
        assert httpx.get(f"{server.url}/metrics").status_code == 200  # public, no token
    finally:
        server.stop()  # the app opened its store, and closes it on shutdown
