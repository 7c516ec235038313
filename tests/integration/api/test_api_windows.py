"""Window ingest: batched, idempotent by window id, triaged into incidents, bad input refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_support import (
    MODEL,
    TEST_MAX_BODY_BYTES,
    Api,
    drift_signal,
    fit_reference,
    window_payload,
)

from redline.profiles.reference import Reference

URL = f"/api/v1/models/{MODEL}/windows"


@pytest.fixture(scope="module")
def reference() -> Reference:
    """The reference the windows are profiled on."""
    return fit_reference()


def test_a_batch_is_stored_once_and_a_repeat_is_200_not_created(
    api: Api, reference: Reference
) -> None:
    windows = [{"window": window_payload(reference, index=i, seed=i)} for i in range(3)]
    with api.client("responder") as client:
        first = client.post(URL, json={"windows": windows})
        again = client.post(URL, json={"windows": windows[1:]})
        model = client.get(f"/api/v1/models/{MODEL}").json()
    assert first.status_code == 201
    assert first.json() == {
        "model": MODEL,
        "created": 3,
        "windows": [{"window_id": f"w-{i}", "created": True} for i in range(3)],
    }
    assert again.status_code == 200
    assert [w["created"] for w in again.json()["windows"]] == [False, False]
    assert model["last_window_rows"] == 400
    assert model["last_window_start"].startswith("2026-11-02T09:02")


def test_signals_feedback_served_rows_and_reviews_arrive_with_the_window(
    api: Api, reference: Reference
) -> None:
    item: dict[str, Any] = {
        "window": window_payload(reference),
        "signals": [drift_signal(level="alarm")],
        "served": [{"request_id": "r1", "value": 0.4, "route": "primary"}],
        "feedback": [{"request_id": "r1", "label": 1, "at": "2026-11-02T09:05:00+00:00"}],
        "reviews": [
            {
                "request_id": "r2",
                "reason": "low_confidence",
                "row": {"x": 1.0},
                "value": 0.51,
                "confidence": 0.51,
                "threshold": 0.6,
            }
        ],
    }
    with api.client("responder") as client:
        assert client.post(URL, json={"windows": [item]}).status_code == 201
        (signal,) = client.get("/api/v1/signals", params={"model": MODEL}).json()
        (incident,) = client.get("/api/v1/incidents").json()
        (review,) = client.get("/api/v1/reviews").json()
        route = client.get(f"/api/v1/models/{MODEL}/route").json()
    assert (signal["kind"], signal["level"], signal["column"]) == ("feature_drift", "alarm", "x")
    assert (incident["severity"], incident["status"]) == ("SEV2", "declared")
    assert route["state"]["mode"] == "primary"  # the default plan keeps evidence of drift alone
    assert (review["request_id"], review["input"], review["output"]) == ("r2", {"x": 1.0}, 0.51)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda w: w.pop("columns"), "not a WindowProfile"),
        (lambda w: w.update(n_rows="many"), "not a WindowProfile"),
        (lambda w: w.update(start="2026-11-02T09:00:00"), "no time zone"),
        (lambda w: w.update(end="2026-11-02T08:00:00+00:00"), "ends before it starts"),
        (lambda w: w.update(window_id=""), "window_id"),
        (lambda w: w.update(n_rows=2**40), "out of range"),
    ],
    ids=["no-columns", "rows-not-a-number", "naive-start", "end-before-start", "no-id", "huge"],
)
def test_a_malformed_window_is_a_400_and_stores_nothing(
    api: Api, reference: Reference, change: Any, fragment: str
) -> None:
    good, bad = window_payload(reference, index=0), window_payload(reference, index=1)
    change(bad)
    with api.client("responder") as client:
        response = client.post(URL, json={"windows": [{"window": good}, {"window": bad}]})
        listed = client.get("/api/v1/models").json()
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
    assert listed == []  # checked before anything was written


@pytest.mark.parametrize(
    "body",
    [
        {"windows": []},
        {"windows": [{"window": {}, "signals": [{"monitor": "m"}]}]},
        {"windows": [{"window": {"evil": "nul\u0000byte"}}]},
        {"windows": [{"window": {}, "served": [{"request_id": "r", "route": "sideways"}]}]},
        {"windows": [{"window": {}}], "extra": 1},
    ],
    ids=["empty", "incomplete-signal", "nul", "unknown-route", "unknown-field"],
)
def test_schema_violations_are_422_with_details(api: Api, body: dict[str, Any]) -> None:
    with api.client("responder") as client:
        response = client.post(URL, json=body)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_nan_in_a_body_is_refused(api: Api, reference: Reference) -> None:
    window = window_payload(reference)
    text = '{"windows": [{"window": %s, "signals": [%s]}]}'
    signal = json.dumps(drift_signal()).replace("0.8", "NaN")
    with api.client("responder") as client:
        response = client.post(
            URL,
            content=text % (json.dumps(window), signal),
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 422


def test_a_nul_deep_inside_a_window_is_refused(api: Api, reference: Reference) -> None:
    window = window_payload(reference)
    window["window_id"] = "w-\x00"
    with api.client("responder") as client:
        response = client.post(URL, json={"windows": [{"window": window}]})
    assert response.status_code == 422
    assert "NUL" in json.dumps(response.json())


def test_a_body_over_the_limit_is_413_with_a_clear_message(api: Api) -> None:
    body = b'{"windows": [{"window": {"pad": "' + b"x" * TEST_MAX_BODY_BYTES + b'"}}]}'
    with api.client("responder") as client:
        response = client.post(URL, content=body, headers={"Content-Type": "application/json"})

        def chunks() -> Any:
            yield b'{"windows": [{"window": {"pad": "'
            for _ in range(8):
                yield b"x" * (TEST_MAX_BODY_BYTES // 4)
            yield b'"}}]}'

        streamed = client.post(URL, content=chunks(), headers={"Content-Type": "application/json"})
        still_up = client.get("/api/v1/models")
    for answer in (response, streamed):
        assert answer.status_code == 413
        assert "send fewer windows per request" in answer.json()["detail"]
    assert still_up.status_code == 200
