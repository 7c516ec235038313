"""RouteState over HTTP, and the long-poll remote Guards use to hear of a change at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
from api_support import MODEL, Api

from redline.domain import ActionType
from redline.services import apply_action

ROUTE = f"/api/v1/models/{MODEL}/route"


def test_an_unknown_model_serves_the_primary_at_revision_0(api: Api) -> None:
    with api.client("viewer") as client:
        route = client.get(ROUTE).json()
        history = client.get(f"{ROUTE}/history").json()
    assert (route["revision"], route["state"]["mode"], route["created_by"]) == (0, "primary", None)
    assert history == []


def test_an_action_through_the_api_wakes_the_long_poll(api_with: Callable[..., Api]) -> None:
    # The store is re-read only every 60 s and the poll waits 20 s: an answer well before
    # either can only come from the action waking the poll.
    api = api_with(route_poll_s=60.0)
    answers: list[tuple[float, httpx.Response]] = []

    def poll() -> None:
        with api.client("viewer") as client:
            response = client.get(ROUTE, params={"after_revision": 0, "wait_s": 20})
            answers.append((time.monotonic(), response))

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.5)  # let the poll start waiting
    with api.client("responder") as client:
        applied_at = time.monotonic()
        assert client.post(
            f"/api/v1/models/{MODEL}/actions", json={"type": "kill_switch"}
        ).is_success
    waiter.join(timeout=20)
    ((answered_at, response),) = answers
    assert response.status_code == 200
    assert response.json()["revision"] == 1
    assert response.json()["state"]["mode"] == "fallback"
    assert answered_at - applied_at < 10.0


def test_a_change_made_elsewhere_is_seen_by_the_poll_of_the_store(api: Api) -> None:
    answers: list[httpx.Response] = []

    def poll() -> None:
        with api.client("viewer") as client:
            answers.append(client.get(ROUTE, params={"after_revision": 0, "wait_s": 20}))

    waiter = threading.Thread(target=poll)
    waiter.start()
    time.sleep(0.3)
    apply_action(api.store, model=MODEL, type=ActionType.KILL_SWITCH, trigger="worker")
    started = time.monotonic()
    waiter.join(timeout=20)
    assert time.monotonic() - started < 10.0  # re-read every 0.2 s here, well before 20 s
    assert answers[0].json()["created_by"] == "worker"


def test_no_change_within_wait_s_is_304_and_a_newer_revision_answers_at_once(api: Api) -> None:
    with api.client("responder") as client:
        client.post(f"/api/v1/models/{MODEL}/actions", json={"type": "kill_switch"})
        started = time.monotonic()
        unchanged = client.get(ROUTE, params={"after_revision": 1, "wait_s": 0.5})
        waited = time.monotonic() - started
        newer = client.get(ROUTE, params={"after_revision": 0, "wait_s": 10})
        history = client.get(f"{ROUTE}/history").json()
        too_long = client.get(ROUTE, params={"after_revision": 0, "wait_s": 3600})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert 0.5 <= waited < 5
    assert newer.status_code == 200
    assert newer.json()["changes"] == {"mode": "fallback"}
    assert [h["revision"] for h in history] == [1]
    assert too_long.status_code == 422
