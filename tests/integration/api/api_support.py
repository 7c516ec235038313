"""Helpers for the API tests: a reference, window payloads, an incident, clients by role."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np

import redline
from redline.api.server import ApiServer
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.settings import ApiSettings, Settings, StoreSettings
from redline.store import Store

MODEL = "credit"
#: The body limit of the test servers: small enough that a test can exceed it cheaply.
TEST_MAX_BODY_BYTES = 512 * 1024
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
#: One TLS context for every test client: httpx builds one per client otherwise, loading the CA
#: bundle each time (~25 ms of CPU), and these clients speak plain HTTP to 127.0.0.1 anyway.
TLS_CONTEXT = ssl.create_default_context()


def fit_reference() -> Reference:
    """A small reference: one numeric feature, one categorical, a score."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=5_000)
    data = {"x": x, "region": rng.choice(["n", "s"], 5_000), "score": 2 * x}
    return redline.fit_reference(data, prediction="score", window_sizes=[300, 1_000])


def window_payload(
    reference: Reference,
    *,
    shift: float = 0.0,
    seed: int = 1,
    index: int = 0,
    n: int = 400,
    route: str = "primary",
    revision: int = 0,
) -> dict[str, Any]:
    """A closed window of ``n`` rows (``x`` shifted by ``shift``) as ``WindowProfile.to_dict()``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    start = START + timedelta(minutes=index)
    data = {"x": x, "region": rng.choice(["n", "s"], n), "score": 2 * x}
    window = WindowProfile.of(
        reference, data, start=start, end=start + timedelta(seconds=59), window_id=f"w-{index}"
    )
    window.routes = {route: n}
    window.route_revision = revision
    return window.to_dict()


def drift_signal(*, level: str = "alarm", kind: str = "feature_drift") -> dict[str, Any]:
    """A signal the default severity policy turns into an incident (alarm drift: SEV2)."""
    return {
        "monitor": "drift",
        "kind": kind,
        "column": "x",
        "statistic": "wasserstein_norm",
        "value": 0.8,
        "threshold": 0.1,
        "level": level,
        "window_start": START.isoformat(),
        "window_end": (START + timedelta(seconds=59)).isoformat(),
        "n_rows": 400,
        "evidence": {"note": "test"},
    }


@dataclass
class Api:
    """A live API server on a store of its own, with a token per role."""

    server: ApiServer
    store: Store
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return self.server.url

    def client(self, role: str | None = "admin") -> httpx.Client:
        """An HTTP client sending the token of ``role`` (None: no token)."""
        headers = {} if role is None else {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0, verify=TLS_CONTEXT)

    def incident(self, *, level: str = "alarm", kind: str = "feature_drift", index: int = 0) -> str:
        """Ingest a window whose signal opens an incident; returns the incident's key."""
        reference = fit_reference()
        body = {
            "windows": [
                {
                    "window": window_payload(reference, index=index),
                    "signals": [drift_signal(level=level, kind=kind)],
                }
            ]
        }
        with self.client("responder") as client:
            client.post(f"/api/v1/models/{MODEL}/windows", json=body).raise_for_status()
            (found,) = client.get("/api/v1/incidents", params={"model": MODEL}).json()
        return str(found["key"])


def api_settings(url: str, **api: object) -> Settings:
    """Settings for a test server on ``url``."""
    values: dict[str, object] = {"max_body_bytes": TEST_MAX_BODY_BYTES, "route_poll_s": 0.2}
    return Settings(store=StoreSettings(url=url), api=ApiSettings.model_validate(values | api))
