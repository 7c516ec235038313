"""A Guard obeying the service's RouteState over HTTP, through the route long-poll."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from remote_support import MODEL, Service

from redline.domain import ActionType, Route
from redline.errors import DataError
from redline.guard import GuardEngine as Guard
from redline.guard import RemoteRouteSource
from redline.profiles.reference import Reference
from redline.services import apply_action
from rltest.waiting import wait_for

ROW = {"x": 0.5, "region": "n"}


@contextmanager
def remote_guard(
    service: Service, reference: Reference
) -> Iterator[tuple[Guard, RemoteRouteSource]]:
    """A Guard whose route comes from ``service``; its source long-polls for 1 s at a time, so a stopping server waits for no poll long."""
    source = RemoteRouteSource(
        service.base_url,
        token=service.tokens["viewer"],
        model=MODEL,
        wait_s=1.0,
        retry_min_s=0.05,
        retry_max_s=0.2,
    )
    guard = Guard(
        model=MODEL,
        predict=lambda row: 2.0 * row["x"],
        fallback=lambda row: 0.0,
        reference=reference,
        window_s=3600,
        route_source=source,
        route_poll_s=0.05,
    )
    try:
        yield guard, source
    finally:
        guard.close()
        source.close()


def test_a_remote_guard_serves_the_route_applied_through_the_api(
    service: Service, reference: Reference
) -> None:
    with remote_guard(service, reference) as (guard, source):
        wait_for(lambda: source.revision == 0)
        assert guard.predict(ROW).route is Route.PRIMARY
        with service.client("responder") as client:
            client.post(
                f"/api/v1/models/{MODEL}/actions", json={"type": "kill_switch"}
            ).raise_for_status()
        wait_for(lambda: guard.route.revision == 1, timeout_s=5)
        decision = guard.predict(ROW)
    assert (decision.route, decision.value) == (Route.FALLBACK, 0.0)
    assert source.failures == 0


def test_the_guard_keeps_its_route_while_the_service_is_away_and_catches_up_after(
    service: Service, reference: Reference, caplog: pytest.LogCaptureFixture
) -> None:
    with remote_guard(service, reference) as (guard, source):
        apply_action(service.store, model=MODEL, type=ActionType.KILL_SWITCH, trigger="test")
        wait_for(lambda: guard.route.revision == 1, timeout_s=5)
        with caplog.at_level(logging.WARNING, logger="redline.guard"):
            service.stop()
            wait_for(lambda: source.failures >= 2)
        assert "cannot read the route of remote" in caplog.text
        assert "serving revision 1 until it can" in caplog.text
        assert guard.predict(ROW).route is Route.FALLBACK
        apply_action(
            service.store,
            model=MODEL,
            type=ActionType.BLOCK_SOURCE,
            params={"source": "tenant-x"},
            trigger="test",
        )
        service.start()
        wait_for(lambda: guard.route.revision == 2, timeout_s=5)
        assert guard.route.blocked_sources == ("tenant-x",)
        assert guard.predict(ROW, source="tenant-x").route is Route.BLOCK


def test_bad_settings_are_refused_with_a_clear_message() -> None:
    with pytest.raises(DataError, match="wait_s must be between 0 and 60"):
        RemoteRouteSource("http://127.0.0.1:9", token="t", model=MODEL, wait_s=61)
    with pytest.raises(DataError, match="model must be a non-empty name"):
        RemoteRouteSource("http://127.0.0.1:9", token="t", model="")
