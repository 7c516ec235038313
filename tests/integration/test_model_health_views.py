"""One health rule read the same by the catalog (overview, `models list`, API) and /metrics."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from prometheus_client.core import Metric

from redline.services import open_store
from redline.services.catalog import get_model, list_models
from redline.services.metrics import metric_families, read_metrics
from rltest.credit import MODEL, credit_guard, fit_reference, send_traffic


def _gauge(families: list[Metric], name: str) -> float:
    (family,) = [f for f in families if f.name == name]
    (sample,) = [s for s in family.samples if s.labels.get("model") == MODEL]
    return float(sample.value)


def test_a_quiet_model_turns_silent_after_three_windows_with_a_floor(empty_url: str) -> None:
    with credit_guard(empty_url, fit_reference()) as guard:
        send_traffic(guard, 300, shift=0.0, seed=3)
    store = open_store(empty_url)
    try:
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
    finally:
        store.dispose()


def test_drift_that_opens_an_incident_makes_the_model_unhealthy_everywhere(empty_url: str) -> None:
    with credit_guard(empty_url, fit_reference()) as guard:
        send_traffic(guard, 1_000, shift=1.5, seed=1)
    store = open_store(empty_url)
    try:
        (model,) = list_models(store)
        assert model.open_incidents >= 1
        assert f"{model.open_incidents} open incident" in " ".join(model.health)
        assert _gauge(metric_families(read_metrics(store)), "redline_model_healthy") == 0.0
    finally:
        store.dispose()
