"""The route watcher under a store outage and a route it cannot apply: one log line, back-off."""

from __future__ import annotations

import logging

import pytest

from redline.domain import RouteState
from redline.guard.route_watch import RouteWatcher


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _state(revision: int) -> RouteState:
    return RouteState(model="credit", revision=revision)


def test_an_outage_is_logged_once_backs_off_and_its_end_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, answers = Clock(), {"down": True}

    def fetch() -> RouteState:
        if answers["down"]:
            raise ConnectionError("store unreachable")
        return _state(1)

    watcher = RouteWatcher(fetch, lambda state: None, interval_s=0.2, clock=clock)
    with caplog.at_level(logging.INFO, logger="redline.guard"):
        for _ in range(200):
            assert not watcher.check_once()
            clock.now += 0.2
        assert 2.5 <= watcher._wait_s <= 5.0
        assert watcher.stale_s == pytest.approx(40.0)
        answers["down"] = False
        assert watcher.check_once()
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert "cannot read the route (store unreachable)" in messages[0]
    assert "reads the route again" in messages[1]
    assert (watcher.failures, watcher.stale_s, watcher._wait_s) == (200, 0.0, 0.2)


def test_a_refused_revision_is_retried_with_back_off_not_on_every_poll(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, offered, tried = Clock(), [_state(4)], []

    def apply(state: RouteState) -> None:
        tried.append(state.revision)
        if state.revision == 4:
            raise LookupError("version v9 may not be loaded here")

    watcher = RouteWatcher(lambda: offered[0], apply, refused_retry_s=30.0, clock=clock)
    with caplog.at_level(logging.WARNING, logger="redline.guard"):
        for _ in range(100):
            watcher.check_once()
        clock.now += 30.0
        watcher.check_once()
        clock.now += 59.0
        watcher.check_once()
        clock.now += 1.0
        watcher.check_once()
    assert tried == [4, 4, 4]
    assert len(caplog.records) == 3
    offered[0] = _state(5)
    assert watcher.check_once()
    assert (tried[-1], watcher.applied_revision) == (5, 5)
