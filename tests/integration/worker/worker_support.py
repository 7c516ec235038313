"""Helpers for the worker tests: a small reference, windows with one signal, stores, threads, and
an ops webhook that pages for SEV2 and records what it is sent."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest

import redline
from redline.domain import Level, Severity, Signal
from redline.guard.sinks import ClosedWindow
from redline.notify import Notifier, WebhookChannel
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.ingest import store_window
from redline.services.response import ResponsePlan
from redline.store import Store
from redline.worker import TickSummary, Worker
from rltest.policy import drift_fallback_plan

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOOK = "https://hooks.example.test/redline"
_REFERENCE: list[Reference] = []


def reference() -> Reference:
    """A small reference with one numeric feature (fitted once per test process)."""
    if not _REFERENCE:
        rng = np.random.default_rng(7)
        _REFERENCE.append(redline.fit_reference({"x": rng.normal(size=2_000)}, window_sizes=[50]))
    return _REFERENCE[0]


def store_fixture() -> Any:
    """A ``store`` fixture: the empty store of ``migrated_url``, disposed after the test."""

    @pytest.fixture(name="store")
    def store(migrated_url: str) -> Iterator[Store]:
        opened = Store.from_url(migrated_url)
        yield opened
        opened.dispose()

    return store


def paging_plan() -> ResponsePlan:
    """The built-in policy opted into rerouting confirmed drift, paging the ``ops`` webhook
    (HOOK) for SEV2 incidents."""
    return drift_fallback_plan(
        channels={"ops": WebhookChannel(HOOK, name="ops")}, paged={Severity.SEV2: ("ops",)}
    )


def recording_notifier(record: Callable[[httpx.Request], object]) -> Notifier:
    """A notifier for the ``ops`` webhook that hands each request to ``record`` and answers 202."""

    def receive(request: httpx.Request) -> httpx.Response:
        record(request)
        return httpx.Response(202)

    client = httpx.Client(transport=httpx.MockTransport(receive))
    return Notifier({"ops": WebhookChannel(HOOK, name="ops")}, client, retries=0)


def closed_window(
    model: str, index: int, *, level: Level = Level.WARNING, start: datetime = START
) -> ClosedWindow:
    """Window ``index`` of ``model`` (one minute each from ``start``) with one drift signal."""
    begin = start + timedelta(minutes=index)
    end = begin + timedelta(seconds=59)
    window = WindowProfile.of(
        reference(),
        {"x": np.linspace(-1.0, 1.0, 20)},
        start=begin,
        end=end,
        window_id=f"{model}-w{index:04d}",
    )
    signal = Signal(
        monitor="drift",
        kind="feature_drift",
        column="x",
        statistic="psi",
        value=0.3,
        threshold=0.2,
        level=level,
        window_start=begin,
        window_end=end,
        n_rows=20,
        model=model,
    )
    return ClosedWindow(model, window, signals=[signal])


def store_windows(store: Store, model: str, count: int) -> list[str]:
    """Store ``count`` unevaluated windows of ``model``; returns their ids."""
    ids = []
    for index in range(count):
        closed = closed_window(model, index)
        assert store_window(store, closed)
        ids.append(closed.window.window_id)
    return ids


def run_threads(targets: list[Callable[[], None]], timeout_s: float = 120.0) -> None:
    """Run each target in its own thread, re-raising the first failure in the test."""
    failures: list[BaseException] = []

    def wrap(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # handed to the test thread below
                failures.append(exc)

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout_s)
    assert not any(t.is_alive() for t in threads), "a worker thread did not finish"
    if failures:
        raise failures[0]


def race_paging_workers(url: str, record: Callable[[httpx.Request], object]) -> TickSummary:
    """Two paging workers, each on its own engine, tick twice at once; then the first ticks
    again and its summary is returned. Every page they send goes to ``record``."""
    others = [Store.from_url(url) for _ in range(2)]
    workers = [Worker(s, plan=paging_plan(), notifier=recording_notifier(record)) for s in others]
    try:
        run_threads([w.tick for w in workers] * 2)
        return workers[0].tick()
    finally:
        for other in others:
            other.dispose()
