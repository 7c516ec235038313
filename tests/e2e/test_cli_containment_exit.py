"""End-to-end: ``redline incidents resolve --accept-containment`` and ``redline incidents restore``
on a contained incident whose exit criteria hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

import redline
from redline.domain import Level, Signal
from redline.guard.sinks import ClosedWindow
from redline.profiles.window import WindowProfile
from redline.services.ingest import record_window
from redline.services.views import get_route_view, list_incident_views
from redline.store import Store, upgrade
from rltest.cli import invoke_redline
from rltest.policy import drift_fallback_plan

MODEL = "scorer"
START = datetime(2026, 12, 1, tzinfo=UTC)


def contained_and_quiet(url: str) -> str:
    """A SEV2 drift incident on the fallback, verified, then quiet windows nobody responded to."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=5_000)
    reference = redline.fit_reference({"x": x, "score": 2 * x}, prediction="score")
    upgrade(url)
    store = Store.from_url(url)
    try:
        for hour, route in enumerate(["primary", "fallback", "fallback", "fallback"]):
            start = START + timedelta(hours=hour)
            window = WindowProfile.empty(reference, start=start, end=start + timedelta(hours=1))
            window.n_rows, window.routes, window.route_revision = 500, {route: 500}, min(hour, 1)
            drift = Signal("drift", "feature_drift", "x", "psi", 0.5, 0.1, Level.ALARM, start)
            closed = ClosedWindow(MODEL, window, [drift] if hour == 0 else [], [], [], [])
            record_window(store, closed, plan=drift_fallback_plan() if hour < 2 else None)
        (incident,) = list_incident_views(store, model=MODEL)
        return incident.key
    finally:
        store.dispose()


def test_resolve_needs_an_accepted_reason_and_restore_routes_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'redline.db'}"
    key = contained_and_quiet(url)

    refused = invoke_redline("incidents", "resolve", key, "--store", url)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"Error: cannot resolve {key}: its containment is still")
    assert "--accept-containment" in refused.stderr

    kept = invoke_redline(
        "incidents",
        "resolve",
        key,
        "--accept-containment",
        "the rules are good enough until v3",
        "--actor",
        "ana",
        "--store",
        url,
    )
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.strip() == f"{key}: resolve -> resolved"

    restored = invoke_redline("incidents", "restore", key, "--actor", "ana", "--store", url)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"{key}: restore action ")
    again = invoke_redline("incidents", "restore", key, "--store", url)
    assert again.returncode == 2
    assert "a restore is already waiting" in again.stderr
    store = Store.from_url(url)
    try:
        assert get_route_view(store, model=MODEL).degraded is False
    finally:
        store.dispose()
