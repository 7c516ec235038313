"""The post-mortem routes over HTTP: viewers read, responders edit, admins approve."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from postmortem_world import fit, resolved_incident

from redline.api import create_app
from redline.api.server import ApiServer
from redline.services.tokens import create_token
from redline.settings import Settings, StoreSettings
from redline.store import Store


@pytest.fixture
def served(migrated_url: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A resolved incident, then a live server on its store: (url, key, tokens by role)."""
    key = resolved_incident(migrated_url, fit())
    store = Store.from_url(migrated_url)
    app = create_app(Settings(store=StoreSettings(url=migrated_url)), store=store)
    server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
    roles = ("viewer", "responder", "admin")
    tokens = {r: create_token(store, name=f"{r}-pm", role=r)[0] for r in roles}
    try:
        yield server.url, key, tokens
    finally:
        server.stop()
        store.dispose()


def test_roles_edit_review_approve_and_export(served: tuple[str, str, dict[str, str]]) -> None:
    url, key, tokens = served

    def client(role: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        return httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30.0)

    with client("viewer") as viewer, client("responder") as responder, client("admin") as admin:
        draft = viewer.get(f"/incidents/{key}/postmortem")
        assert draft.status_code == 200
        assert draft.json()["status"] == "draft"
        page = viewer.get(f"/incidents/{key}/postmortem/html")
        assert page.headers["content-type"].startswith("text/html")
        assert "<svg" in page.text
        edit = {
            "markdown": draft.json()["markdown"] + "\nEdited.\n",
            "reason": "typo",
            "version": 1,
        }
        assert viewer.put(f"/incidents/{key}/postmortem", json=edit).status_code == 403
        assert responder.put(f"/incidents/{key}/postmortem", json=edit).json()["version"] == 2
        stale = responder.put(f"/incidents/{key}/postmortem", json=edit)
        assert stale.status_code == 409
        assert "version 1" in stale.json()["detail"]
        assert (
            admin.post(f"/incidents/{key}/postmortem/approve", json={"by": "ana"}).status_code
            == 409
        )
        assert responder.post(f"/incidents/{key}/postmortem/submit").json()["status"] == "in_review"
        by = {"by": "ana"}
        assert responder.post(f"/incidents/{key}/postmortem/approve", json=by).status_code == 403
        approved = admin.post(f"/incidents/{key}/postmortem/approve", json=by)
        assert approved.json()["approved_by"] == "person:ana"
        closed = responder.post(f"/incidents/{key}/transitions", json={"event": "close"})
        assert closed.json()["status"] == "closed"

        art73 = viewer.get(f"/incidents/{key}/exports/art73")
        assert art73.json()["schema_version"] == "redline.eu-ai-act.art73/1"
        assert art73.json()["payload"]["sign_off"]["approved_by"] == "person:ana"
        assert viewer.get(f"/incidents/{key}/exports/gdpr").status_code == 422
        assert viewer.get("/incidents/RL-1999-0001/postmortem").status_code == 404
