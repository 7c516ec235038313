"""Concept drift that only labels can show: delayed feedback → realized recall drop → SEV2 →
fallback; the Guard keeps what it served so labels arriving later join it, and what the fallback
served is not scored against the primary model's baseline."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import Route
from redline.guard.guard import GuardEngine as Guard
from redline.profiles.reference import Reference
from redline.store import Store, list_incidents, list_labelled_predictions, list_signals


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(51)
    x = rng.normal(size=20_000)
    y = (x + rng.normal(0, 0.3, x.size) > 0).astype(int)
    return redline.fit_reference(
        {"x": x, "label": y, "predicted": (x > 0).astype(int)},
        target="label",
        prediction="predicted",
        window_sizes=[300, 1_000],
    )


def model(row: dict[str, Any]) -> int:
    return int(row["x"] > 0)


def serve_and_label(guard: Guard, n: int, *, flipped: bool, seed: int) -> None:
    """Serve n rows; the world's answer is flipped for positives when ``flipped`` (concept drift)."""
    rng = np.random.default_rng(seed)
    decisions = []
    for x in rng.normal(size=n):
        decisions.append((x, guard.predict({"x": float(x)})))
    guard.flush()  # the labels come a window later, as they do in life
    for x, decision in decisions:
        truth = int(x + rng.normal(0, 0.3) > 0)
        if flipped and truth == 1 and rng.random() < 0.6:
            truth = 0
        guard.feedback(decision.request_id, truth)


def test_a_recall_drop_from_late_labels_opens_a_sev2_and_routes_to_the_fallback(
    migrated_url: str, reference: Reference
) -> None:
    assert reference.performance is not None
    assert reference.performance["task"] == "classification"  # 0/1 integers are classes
    with redline.Guard(
        model="fraud",
        predict=model,
        fallback=lambda row: 1,
        reference=reference,
        store=migrated_url,
        window_s=3600,
        route_poll_s=0.05,
    ) as guard:
        serve_and_label(guard, 800, flipped=False, seed=1)
        guard.flush()  # labels of the first window land; recall is as in training
        serve_and_label(guard, 800, flipped=True, seed=2)
        guard.flush()
        store = Store.from_url(migrated_url)
        try:
            with store.session() as session:
                drops = [
                    s for s in list_signals(session, model="fraud") if s.kind == "performance_drop"
                ]
                (incident,) = list_incidents(session, model="fraud")
            assert drops, "no performance_drop signal"
            assert {d.statistic for d in drops} >= {"recall"}
            assert (incident.severity, incident.category) == ("SEV2", "performance")
        finally:
            store.dispose()
        deadline = time.monotonic() + 5
        while guard.route.mode is not Route.FALLBACK and time.monotonic() < deadline:
            time.sleep(0.02)
        assert guard.route.mode is Route.FALLBACK
        # The fallback answers "1" to everyone: scored as the primary, recall of "0" would be 0.
        serve_and_label(guard, 800, flipped=True, seed=3)
        guard.flush()
        store = Store.from_url(migrated_url)
        try:
            with store.session() as session:
                after = [
                    s for s in list_signals(session, model="fraud") if s.kind == "performance_drop"
                ]
                routes = {p.route for p in list_labelled_predictions(session, model="fraud")}
            assert routes == {"primary", "fallback"}
            assert len(after) == len(drops), "the fallback's answers were scored as the primary's"
        finally:
            store.dispose()
