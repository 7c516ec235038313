"""A remote Guard's route is as fresh as the service's last long-poll answer: while the service
is down the age grows and the Guard says the route is stale; once it answers, fresh again."""

from __future__ import annotations

import logging

import pytest
from remote_support import MODEL, Service, closed_window

from redline.guard import GuardEngine, RemoteRouteSource
from redline.profiles.reference import Reference
from redline.services.ingest import store_window
from rltest.waiting import wait_for


def test_a_remote_guard_reports_its_route_stale_while_the_service_is_down(
    down_service: Service, reference: Reference, caplog: pytest.LogCaptureFixture
) -> None:
    source = RemoteRouteSource(
        down_service.base_url,
        token=down_service.tokens["viewer"],
        model=MODEL,
        wait_s=1.0,
        retry_min_s=0.05,
        retry_max_s=0.1,
    )
    started_at = source.answered_at
    store_window(down_service.store, closed_window(reference, 0))  # the service knows the model
    with caplog.at_level(logging.INFO, logger="redline.guard"):
        guard = GuardEngine(
            model=MODEL,
            predict=lambda row: 0.0,
            reference=reference,
            window_s=3600,
            route_source=source,
            route_age_s=lambda: source.age_s,
            route_stale_s=0.0,
        )
        try:
            wait_for(lambda: source.failures >= 3)
            assert source.answered_at == started_at  # refused connections are no answer
            wait_for(lambda: (guard.health().route_age_s or 0.0) > 0.0)
            assert guard.health().route_stale
            wait_for(lambda: any("is stale" in r.getMessage() for r in caplog.records))
            down_service.start()
            wait_for(lambda: source.answered_at > started_at, timeout_s=20)
            assert source.revision == 0  # the model's first route, read from the service
        finally:
            guard.close()
            source.close()
    assert len([r for r in caplog.records if "is stale" in r.getMessage()]) == 1
