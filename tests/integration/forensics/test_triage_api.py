"""``GET /api/v1/incidents/{key}/triage|blame`` on a live server: viewers read, strangers don't."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pytest

import redline
from redline.api import create_app
from redline.api.server import ApiServer
from redline.services.tokens import create_token
from redline.settings import ApiSettings, Settings, StoreSettings
from redline.store import Store
from rltest.credit import open_incident


def _seed(store: Store) -> str:
    """Three quiet windows, then a drifted one that opens an incident; returns its key."""
    rng = np.random.default_rng(71)
    reference = redline.fit_reference(
        {"x": rng.normal(size=10_000), "region": rng.choice(["n", "s"], 10_000)},
        window_sizes=[300, 1_000],
    )
    windows = (
        [({"x": float(x), "region": str(rng.choice(["n", "s"]))}, None) for x in xs]
        for xs in (rng.normal(shift, 1.0, 500) for shift in (0.0, 0.0, 0.0, 2.0))
    )
    return open_incident(store, reference, windows)


@pytest.fixture
def served(migrated_url: str) -> Iterator[tuple[str, str, str]]:
    store = Store.from_url(migrated_url)
    key = _seed(store)
    settings = Settings(store=StoreSettings(url=migrated_url), api=ApiSettings())
    app = create_app(settings, store=store)
    server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
    token = create_token(store, name="viewer-test", role="viewer")[0]
    try:
        yield server.url, token, key
    finally:
        server.stop()
        store.dispose()


def _get(url: str, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url, headers=headers, timeout=30)


def test_a_viewer_reads_the_triage_report_and_the_blame(served: tuple[str, str, str]) -> None:
    base, token, key = served
    triage = _get(f"{base}/api/v1/incidents/{key}/triage", token)
    assert triage.status_code == 200, triage.text
    body: dict[str, Any] = triage.json()
    assert body["likely_cause"] == "covariate_drift"
    assert body["report"]["input_isolation"]["features"][0]["feature"] == "x"
    found = _get(f"{base}/api/v1/incidents/{key}/blame", token)
    assert found.status_code == 200, found.text
    assert found.json()["shift"]["onset"] == 3
    assert found.json()["decisions_served"] == 500


def test_unknown_keys_and_missing_tokens(served: tuple[str, str, str]) -> None:
    base, token, key = served
    missing = _get(f"{base}/api/v1/incidents/RL-2026-9999/triage", token)
    assert missing.status_code == 404
    assert "no incident" in missing.json()["detail"]
    assert _get(f"{base}/api/v1/incidents/{key}/blame", None).status_code == 401
