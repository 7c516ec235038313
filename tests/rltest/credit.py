"""The "credit" model the incident tests drive through a real Guard: its reference, a primary
model and a fallback rule, and traffic that is quiet or shifted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

import redline
from redline.guard.guard import GuardEngine as Guard
from redline.profiles.reference import Reference
from redline.services.catalog import save_reference
from redline.store import Store, list_incidents

__all__ = [
    "MODEL",
    "credit_guard",
    "fit_reference",
    "open_incident",
    "primary",
    "rules",
    "send_traffic",
]

Window = Iterable[tuple[dict[str, Any], str | None]]

MODEL = "credit"


def fit_reference() -> Reference:
    """A reference with one numeric feature, one categorical, a score."""
    rng = np.random.default_rng(31)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "region": rng.choice(["n", "s"], 20_000), "score": 2 * x},
        prediction="score",
        window_sizes=[300, 1_000, 10_000],
    )


def primary(row: dict[str, Any]) -> float:
    """The model: twice ``x``."""
    return 2 * float(row["x"])


def rules(row: dict[str, Any]) -> float:
    """The fallback rule: always 0."""
    return 0.0


def credit_guard(store: str | Store, reference: Reference, **options: Any) -> redline.Guard:
    """A Guard serving MODEL with ``primary`` (``rules`` as its fallback) on hourly windows into
    ``store``; ``options`` are further Guard settings."""
    return redline.Guard(
        model=MODEL,
        predict=primary,
        fallback=rules,
        reference=reference,
        store=store,
        window_s=3600,
        **options,
    )


def send_traffic(guard: Guard, n: int, *, shift: float, seed: int, labels: int = 0) -> None:
    """``n`` predictions with ``x`` shifted by ``shift`` sd, the first ``labels`` of them labelled;
    then the window is flushed."""
    rng = np.random.default_rng(seed)
    for i, (x, region) in enumerate(
        zip(rng.normal(shift, 1, n), rng.choice(["n", "s"], n), strict=True)
    ):
        decision = guard.predict({"x": float(x), "region": str(region)})
        if i < labels:
            guard.feedback(decision.request_id, 2 * float(x) + 0.5)
    guard.flush()


def open_incident(store: Store, reference: Reference, windows: Iterable[Window]) -> str:
    """Save ``reference``, serve each window's ``(row, source)`` pairs through a Guard predicting
    ``x`` (one window each, kept for blame); the key of the first incident they opened."""
    save_reference(store, model=MODEL, body=reference.to_dict(), actor="person:test")
    with redline.Guard(
        model=MODEL,
        predict=lambda row: float(row["x"]),
        reference=reference,
        store=store,
        window_s=3600,
        record_served=True,
    ) as guard:
        for window in windows:
            for row, source in window:
                guard.predict(row, source=source)
            guard.flush()
    with store.session() as session:
        return list_incidents(session, model=MODEL)[0].key
