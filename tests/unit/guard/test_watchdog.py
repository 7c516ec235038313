"""The Guard's watchdog: a stale route and a blocked window thread are each logged once per
episode (and once when they end) and reported by ``health()``; no sleeps, events and a clock."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

import redline
from redline.domain import RouteState
from redline.guard.guard import GuardEngine
from redline.guard.route_watch import RouteWatcher
from redline.guard.sinks import ClosedWindow, MemorySink
from redline.guard.watchdog import Episode, Watchdog
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from rltest.waiting import wait_for

LOGGER = "redline.guard"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class HeldSink:
    """A sink whose ``write`` waits until the test lets it go."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.written: list[ClosedWindow] = []

    def write(self, closed: ClosedWindow) -> None:
        self.entered.set()
        self.release.wait(30)
        self.written.append(closed)

    def close(self) -> None:
        self.release.set()


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(3)
    data = {"x": rng.normal(size=2_000), "prediction": rng.normal(size=2_000)}
    return redline.fit_reference(data, prediction="prediction", window_sizes=[100])


def _messages(caplog: pytest.LogCaptureFixture, word: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if word in r.getMessage()]


def test_a_stale_route_is_logged_once_per_episode_and_once_when_fresh(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, down = Clock(), {"now": True}

    def fetch() -> RouteState:
        if down["now"]:
            raise ConnectionError("store unreachable")
        return RouteState(model="m", revision=1)

    watcher = RouteWatcher(fetch, lambda state: None, interval_s=0.2, clock=clock)
    dog = Watchdog(
        model="m",
        route_age_s=lambda: watcher.stale_s,
        window_busy_s=lambda: 0.0,
        route_revision=lambda: watcher.applied_revision,
        route_stale_s=30.0,
    )
    with caplog.at_level(logging.INFO, logger=LOGGER):
        for _ in range(300):  # a minute of failing polls, checked every 0.2 s
            watcher.check_once()
            dog.check()
            clock.now += 0.2
        assert dog.health(windows_closed=0, rows_dropped=0).route_stale
        assert dog.health(windows_closed=0, rows_dropped=0).route_age_s == pytest.approx(60.0)
        down["now"] = False
        watcher.check_once()
        assert dog.check() == (False, False)
        dog.check()
    stale, fresh = _messages(caplog, "is stale"), _messages(caplog, "fresh again")
    assert stale == [
        "redline's route of m is stale: its source has not answered for 30 s; "
        "the last route stays in force"
    ]
    assert fresh == ["redline's route of m is fresh again (it went 60 s without an answer)"]
    assert [r.levelname for r in caplog.records if "is stale" in r.getMessage()] == ["WARNING"]
    assert dog.route.count == 1
    assert not dog.health(windows_closed=0, rows_dropped=0).route_stale


def test_each_episode_warns_once_and_a_value_below_the_threshold_warns_never(
    caplog: pytest.LogCaptureFixture,
) -> None:
    episode = Episode(10.0, "late %s by %.0f s", "on time %s after %.0f s")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        values = [0.0, 9.9, 10.0, None, 11.0, 50.0, 12.0, 0.0, 0.0, 20.0, 1.0]
        ongoing = [episode.update(v, "x") for v in values]
    assert ongoing == [False, False, False, False, True, True, True, False, False, True, False]
    assert [r.getMessage() for r in caplog.records] == [
        "late x by 11 s",
        "on time x after 50 s",
        "late x by 20 s",
        "on time x after 20 s",
    ]
    assert episode.count == 2


def test_a_route_source_that_never_answers_makes_the_guard_warn(
    reference: Reference, caplog: pytest.LogCaptureFixture
) -> None:
    entered, release = threading.Event(), threading.Event()

    def source() -> RouteState | None:  # a store call stuck in a network partition
        entered.set()
        release.wait(30)
        return None

    with caplog.at_level(logging.INFO, logger=LOGGER):
        guard = GuardEngine(
            model="m",
            predict=lambda row: 0.0,
            reference=reference,
            window_s=3600,
            route_source=source,
            route_stale_s=0.0,
        )
        try:
            assert entered.wait(10)
            wait_for(lambda: _messages(caplog, "is stale"))
            health = guard.health()
            assert health.route_stale
            assert health.route_age_s is not None
            assert health.route_age_s > 0.0
            assert not health.window_thread_blocked
            assert guard.predict({"x": 1.0}).value == 0.0  # the request path never waits
        finally:
            release.set()
            guard.close()
    assert len(_messages(caplog, "is stale")) == 1


def test_a_window_thread_stuck_in_its_hand_over_is_reported_and_warned_once(
    reference: Reference, caplog: pytest.LogCaptureFixture
) -> None:
    sink = HeldSink()
    guard = GuardEngine(
        model="m",
        predict=lambda row: 0.0,
        reference=reference,
        window_s=3600,
        sink=sink,
        window_blocked_s=0.0,
    )
    flushing = threading.Thread(target=guard.flush, kwargs={"timeout_s": 30})
    with caplog.at_level(logging.INFO, logger=LOGGER):
        try:
            assert guard.health().window_thread_busy_s == 0.0
            guard.predict({"x": 1.0})
            flushing.start()
            assert sink.entered.wait(10)
            wait_for(lambda: _messages(caplog, "is blocked"))
            health = guard.health()
            assert health.window_thread_blocked
            assert health.window_thread_busy_s > 0.0
            assert health.route_age_s is None  # this Guard follows no route
            assert guard.predict({"x": 2.0}).value == 0.0  # the request path never waits
        finally:
            sink.release.set()
            flushing.join(30)
        wait_for(lambda: _messages(caplog, "free again"))
        assert guard.health().window_thread_busy_s == 0.0
        assert guard.health().windows_closed == 1
        guard.close()
    assert len(_messages(caplog, "is blocked")) == 1
    assert len(sink.written) >= 1


def test_each_closed_window_carries_the_route_age_and_the_previous_close(
    reference: Reference,
) -> None:
    sink = MemorySink()
    age = {"s": 12.5}
    guard = GuardEngine(
        model="m",
        predict=lambda row: 0.0,
        reference=reference,
        window_s=3600,
        sink=sink,
        route_source=lambda: None,
        route_age_s=lambda: age["s"],  # a remote source's: since the service last answered
    )
    with guard:
        for seconds in (12.5, 40.0):
            age["s"] = seconds
            guard.predict({"x": 1.0})
            guard.flush()
    first, second = sink.windows
    assert first.guard == {"route_age_s": 12.5, "window_thread_busy_s": 0.0}
    assert second.guard["route_age_s"] == 40.0
    assert second.guard["window_thread_busy_s"] > 0.0  # how long the first window's close took
    assert WindowProfile.from_dict(second.to_dict()).guard == second.guard
