"""The snapshot endpoints on a live server: viewers read, responders take and verify."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from snapshot_world import MODEL, World, build_world, register, serve

from redline.api import create_app
from redline.api.server import ApiServer
from redline.services.tokens import create_token
from redline.settings import Settings, StoreSettings
from redline.store import Store


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def server(migrated_url: str, world: World) -> Iterator[tuple[str, dict[str, str]]]:
    store = Store.from_url(migrated_url)
    register(store, world)
    serve(migrated_url, world, n=200, shift=0.0, seed=8)
    tokens = {
        role: create_token(store, name=role, role=role)[0] for role in ("viewer", "responder")
    }
    app = create_app(Settings(store=StoreSettings(url=migrated_url)), store=store)
    running = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
    try:
        yield running.url, tokens
    finally:
        running.stop()
        store.dispose()


def _client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_take_list_read_and_verify(server: tuple[str, dict[str, str]]) -> None:
    url, tokens = server
    with _client(url, tokens["viewer"]) as viewer, _client(url, tokens["responder"]) as responder:
        assert viewer.post("/api/v1/snapshots", json={"model": MODEL}).status_code == 403
        taken = responder.post("/api/v1/snapshots", json={"model": MODEL})
        assert taken.status_code == 201, taken.text
        snapshot_id = taken.json()["id"]
        listed = viewer.get("/api/v1/snapshots", params={"model": MODEL}).json()
        assert [s["id"] for s in listed] == [snapshot_id]
        assert listed[0]["manifest"] is None
        one = viewer.get(f"/api/v1/snapshots/{snapshot_id[:8]}").json()
        assert one["manifest"]["model_version"]["version"] == "v1"
        verified = responder.post(f"/api/v1/snapshots/{snapshot_id}/verify").json()
        assert (verified["ok"], verified["problems"]) == (True, [])
        assert viewer.get("/api/v1/snapshots/0123456789abcdef").status_code == 404
        unknown = viewer.get("/api/v1/snapshots", params={"incident": "RL-2026-0999"})
        assert unknown.status_code == 404
        assert viewer.get("/api/v1/snapshots/zz%00").status_code in {400, 422}
