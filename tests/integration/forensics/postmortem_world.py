"""A SEV2 drift incident built through the real ingest path: Guard → store → resolved."""

from __future__ import annotations

from typing import Any

import numpy as np

import redline
from redline.guard.guard import Guard
from redline.profiles.reference import Reference
from redline.services import open_store
from redline.services.catalog import save_reference
from redline.store import Store, list_incidents

MODEL = "credit"


def fit() -> Reference:
    """A reference with one numeric feature, one categorical, a score."""
    rng = np.random.default_rng(31)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "region": rng.choice(["n", "s"], 20_000), "score": 2 * x},
        prediction="score",
        window_sizes=[300, 1_000, 10_000],
    )


def _primary(row: dict[str, Any]) -> float:
    return 2 * float(row["x"])


def _rules(row: dict[str, Any]) -> float:
    return 0.0


def _traffic(guard: Guard, n: int, shift: float, seed: int, labels: int = 0) -> None:
    rng = np.random.default_rng(seed)
    for i, (x, region) in enumerate(
        zip(rng.normal(shift, 1, n), rng.choice(["n", "s"], n), strict=True)
    ):
        decision = guard.predict({"x": float(x), "region": str(region)})
        if i < labels:  # people label part of the drifted traffic: enough to retrain on
            guard.feedback(decision.request_id, 2 * float(x) + 0.5)
    guard.flush()


def resolved_incident(url: str, reference: Reference, *, quiet_before: int = 10) -> str:
    """Quiet windows, two drifted ones (SEV2, fallback, verified), three quiet: resolved."""
    store = open_store(url)
    try:  # as a server would: the reference is stored, so windows can be judged again
        save_reference(store, model=MODEL, body=reference.to_dict(), actor="person:test")
    finally:
        store.dispose()
    with redline.Guard(
        model=MODEL,
        predict=_primary,
        fallback=_rules,
        reference=reference,
        store=url,
        window_s=3600,
        route_poll_s=0.05,
        record_served=True,
    ) as guard:
        for seed in range(100, 100 + quiet_before):
            _traffic(guard, 1_000, shift=0.0, seed=seed)
        _traffic(guard, 1_000, shift=1.5, seed=1, labels=80)
        _traffic(guard, 1_000, shift=1.5, seed=2, labels=80)
        for seed in (3, 4, 5):
            _traffic(guard, 1_000, shift=0.0, seed=seed)
    store = Store.from_url(url)
    try:
        with store.session() as session:
            (incident,) = list_incidents(session, model=MODEL)
            assert incident.status == "resolved", incident.status
            return incident.key
    finally:
        store.dispose()
