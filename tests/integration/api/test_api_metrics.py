"""``GET /metrics`` scraped and parsed by prometheus_client's own text parser."""

from __future__ import annotations

from collections.abc import Callable

from api_support import MODEL, Api, drift_signal, fit_reference, window_payload
from prometheus_client.parser import text_string_to_metric_families


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_scrape_reports_traffic_routes_drift_incidents_and_action_latency(api: Api) -> None:
    reference = fit_reference()
    windows = f"/api/v1/models/{MODEL}/windows"
    with api.client("admin") as client:
        client.put(f"/api/v1/models/{MODEL}/reference", json=reference.to_dict()).raise_for_status()
        drifted = {"window": window_payload(reference, shift=2.0), "signals": [drift_signal()]}
        client.post(windows, json={"windows": [drifted]}).raise_for_status()  # SEV2
        fallback = {"type": "route_fallback"}
        client.post(f"/api/v1/models/{MODEL}/actions", json=fallback).raise_for_status()
        served = window_payload(reference, shift=2.0, index=1, route="fallback", revision=1)
        client.post(windows, json={"windows": [{"window": served}]}).raise_for_status()
        text = client.get("/metrics").text
    samples = _samples(text)
    model = (("model", MODEL),)
    assert samples[("redline_window_rows", model)] == 400
    assert samples[("redline_window_route_rows", (*model, ("route", "fallback")))] == 400
    assert samples[("redline_route_revision", model)] == 1
    assert samples[("redline_route_mode", (("mode", "fallback"), *model))] == 1
    assert samples[("redline_open_incidents", (*model, ("severity", "SEV2")))] == 1
    assert samples[("redline_open_incidents", (*model, ("severity", "SEV1")))] == 0
    drift = samples[
        ("redline_drift_statistic", (("column", "x"), *model, ("statistic", "wasserstein_norm")))
    ]
    threshold = samples[
        ("redline_drift_threshold", (("column", "x"), *model, ("statistic", "wasserstein_norm")))
    ]
    assert drift > threshold  # shifted by two standard deviations
    latency = (*model, ("type", "route_fallback"))
    assert samples[("redline_action_verify_seconds_count", latency)] == 1
    assert samples[("redline_action_verify_seconds_bucket", (("le", "+Inf"), *latency))] == 1


def test_metrics_need_a_viewer_unless_public(api: Api, api_with: Callable[..., Api]) -> None:
    with api.client(None) as anonymous:
        assert anonymous.get("/metrics").status_code == 401
    with api.client("viewer") as viewer:
        answer = viewer.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    public = api_with(metrics_public=True)
    with public.client(None) as anonymous:
        assert anonymous.get("/metrics").status_code == 200


def test_a_model_off_its_primary_route_is_degraded_with_no_incident_open(api: Api) -> None:
    reference = fit_reference()
    with api.client("admin") as client:
        client.put(f"/api/v1/models/{MODEL}/reference", json=reference.to_dict()).raise_for_status()
        body = {"type": "threshold_change", "params": {"threshold": 0.8}}
        applied = client.post(f"/api/v1/models/{MODEL}/actions", json=body)
        applied.raise_for_status()
        degraded = _samples(client.get("/metrics").text)
        (listed,) = client.get("/api/v1/models").json()
        client.post(f"/api/v1/actions/{applied.json()['action_id']}/revert").raise_for_status()
        restored = _samples(client.get("/metrics").text)
    model = (("model", MODEL),)
    assert degraded[("redline_model_degraded", model)] == 1
    assert degraded[("redline_route_departure", (("departure", "review"), *model))] == 1
    assert degraded[("redline_route_departure", (("departure", "fallback"), *model))] == 0
    assert degraded[("redline_open_incidents", (*model, ("severity", "SEV2")))] == 0
    assert (listed["degraded"], listed["departures"], listed["open_incidents"]) == (
        True,
        ["review"],
        0,
    )
    assert restored[("redline_model_degraded", model)] == 0
    assert restored[("redline_route_departure", (("departure", "review"), *model))] == 0


def test_the_guards_route_age_and_window_thread_reach_metrics_from_its_latest_window(
    api: Api,
) -> None:
    reference = fit_reference()
    older, latest = window_payload(reference), window_payload(reference, index=1)
    older["guard"] = {"route_age_s": 0.5, "window_thread_busy_s": 0.01}
    latest["guard"] = {"route_age_s": 95.5, "window_thread_busy_s": 41.25}
    with api.client("admin") as client:
        body = {"windows": [{"window": older}, {"window": latest}]}
        client.post(f"/api/v1/models/{MODEL}/windows", json=body).raise_for_status()
        samples = _samples(client.get("/metrics").text)
    model = (("model", MODEL),)
    assert samples[("redline_guard_route_age_seconds", model)] == 95.5
    assert samples[("redline_guard_window_thread_busy_seconds", model)] == 41.25
