"""Every mutating endpoint refuses no token (401) and a viewer token (403); reads need a token."""

from __future__ import annotations

import re

import pytest
from api_support import Api
from fastapi.routing import iter_route_contexts

from redline.api import create_app
from redline.settings import Settings, StoreSettings
from redline.store import Store

#: Endpoints anyone may call: health, metrics (a viewer's unless made public), the spec.
PUBLIC = {"/healthz", "/metrics", "/api/v1/openapi.json", "/api/v1/docs"}
#: What a path parameter is replaced with; the request is refused before it is looked up.
SAMPLE = {"model": "credit", "key": "RL-2026-0001"}


def _routes() -> list[tuple[str, str]]:
    store = Store.from_url("sqlite://")  # no connection is made: the routes are only listed
    try:
        app = create_app(Settings(store=StoreSettings(url="sqlite://")), store=store)
    finally:
        store.dispose()
    # Routers are included lazily: iter_route_contexts sees the routes with their prefixes.
    return sorted(
        (method, str(route.path))
        for route in iter_route_contexts(app.routes)
        if route.path is not None and route.methods
        for method in route.methods
    )


ROUTES = _routes()
MUTATING = [(m, p) for m, p in ROUTES if m not in {"GET", "HEAD"}]
READING = [(m, p) for m, p in ROUTES if m == "GET" and p not in PUBLIC]


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "1"), path)


def test_the_route_list_covers_every_kind_of_endpoint() -> None:
    methods = {m for m, _ in MUTATING}
    assert {"POST", "PUT", "DELETE"} <= methods
    assert len(MUTATING) >= 12


@pytest.mark.parametrize(("method", "path"), MUTATING, ids=[f"{m} {p}" for m, p in MUTATING])
def test_mutating_endpoints_refuse_no_token_and_a_viewer(api: Api, method: str, path: str) -> None:
    for role, expected in ((None, 401), ("viewer", 403)):
        with api.client(role) as client:
            response = client.request(method, _url(path), json={})
        assert response.status_code == expected, (role, response.text)
        assert response.json()["detail"]
    with api.client(None) as client:
        assert client.request(method, _url(path), json={}).headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path"), READING, ids=[f"{m} {p}" for m, p in READING])
def test_reads_need_a_token(api: Api, method: str, path: str) -> None:
    with api.client(None) as client:
        assert client.request(method, _url(path)).status_code == 401


def test_the_spec_and_health_are_public(api: Api) -> None:
    with api.client(None) as client:
        assert client.get("/healthz").json() == {"status": "ok", "store_revision": "0011"}
        assert (
            "/api/v1/models/{model}/windows" in client.get("/api/v1/openapi.json").json()["paths"]
        )


def test_unknown_revoked_and_malformed_tokens_are_refused(api: Api) -> None:
    with api.client("admin") as admin:
        me = admin.get("/api/v1/tokens/me").json()
        created = admin.post("/api/v1/tokens", json={"name": "ci", "role": "viewer"}).json()
        assert admin.delete(f"/api/v1/tokens/{created['record']['id']}").status_code == 200
    assert me["role"] == "admin"
    for header in (
        f"Bearer {created['token']}",  # revoked
        "Bearer rl_not-a-real-token",
        "Bearer " + "x" * 500,
        f"Basic {api.tokens['admin']}",  # right secret, wrong scheme
    ):
        with api.client(None) as client:
            response = client.get("/api/v1/models", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_roles_are_ordered(api: Api) -> None:
    with api.client("responder") as responder:
        assert responder.get("/api/v1/models").status_code == 200  # a responder reads too
        assert responder.get("/api/v1/tokens").status_code == 403  # but manages no tokens
    with api.client("admin") as admin:
        assert admin.get("/api/v1/tokens").status_code == 200
