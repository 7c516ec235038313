"""One health rule read the same by the catalog (overview, `models list`, API) and /metrics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
from prometheus_client.core import Metric

from redline.domain.health import ReviewSla
from redline.services.catalog import get_model, list_models
from redline.services.metrics import metric_families, read_metrics
from redline.services.review import queue_for_review
from redline.store import Store
from rltest.credit import MODEL, credit_guard, fit_reference, send_traffic


@contextmanager
def _served(url: str, rows: int, *, shift: float, seed: int) -> Iterator[Store]:
    """The store after a credit Guard on ``url`` served ``rows`` rows shifted by ``shift``."""
    with credit_guard(url, fit_reference()) as guard:
        send_traffic(guard, rows, shift=shift, seed=seed)
    store = Store.from_url(url)
    try:
        yield store
    finally:
        store.dispose()


def _gauge(families: list[Metric], name: str) -> float:
    (family,) = [f for f in families if f.name == name]
    (sample,) = [s for s in family.samples if s.labels.get("model") == MODEL]
    return float(sample.value)


def test_a_quiet_model_turns_silent_after_three_windows_with_a_floor(migrated_url: str) -> None:
    with _served(migrated_url, 300, shift=0.0, seed=3) as store:
        fresh = get_model(store, model=MODEL)
        assert fresh.last_window_end is not None
        assert (fresh.healthy, fresh.health) == (True, ())
        later = fresh.last_window_end + timedelta(minutes=12)
        (quiet,) = list_models(store, now=later)
        assert quiet.health == ("silent: no window for 12 min",)
        assert quiet.to_dict()["healthy"] is False

        snapshot = read_metrics(store)
        assert _gauge(metric_families(snapshot), "redline_model_healthy") == 1.0
        families = metric_families(replace(snapshot, checked_at=later))
        assert _gauge(families, "redline_model_healthy") == 0.0
        assert _gauge(families, "redline_model_silent_seconds") == 12 * 60


def test_drift_that_opens_an_incident_makes_the_model_unhealthy_everywhere(
    migrated_url: str,
) -> None:
    with _served(migrated_url, 1_000, shift=1.5, seed=1) as store:
        (model,) = list_models(store)
        assert model.open_incidents >= 1
        assert f"{model.open_incidents} open incident" in " ".join(model.health)
        assert _gauge(metric_families(read_metrics(store)), "redline_model_healthy") == 0.0


def test_a_review_waiting_past_its_sla_makes_the_model_unhealthy_everywhere(
    migrated_url: str,
) -> None:
    with _served(migrated_url, 300, shift=0.0, seed=3) as store:
        fresh = get_model(store, model=MODEL)
        assert fresh.last_window_end is not None
        now = fresh.last_window_end + timedelta(seconds=30)
        held = {"request_id": "r-1", "reason": "low confidence", "input": {}, "output": 1}
        queue_for_review(store, model=MODEL, items=[held], now=now - timedelta(minutes=20))
        patient, strict = ReviewSla(), ReviewSla(per_model={MODEL: 600.0})
        assert get_model(store, model=MODEL, now=now, review_sla=patient).healthy
        (late,) = list_models(store, now=now, review_sla=strict)
        assert late.health == ("review overdue: the oldest has waited 20 min (limit 10 min)",)

        snapshot = replace(read_metrics(store, review_sla=strict), checked_at=now)
        assert _gauge(metric_families(snapshot), "redline_model_healthy") == 0.0
        waited = _gauge(metric_families(snapshot), "redline_review_oldest_wait_seconds")
        assert waited == pytest.approx(20 * 60)
        relaxed = replace(snapshot, review_sla=patient)
        assert _gauge(metric_families(relaxed), "redline_model_healthy") == 1.0
