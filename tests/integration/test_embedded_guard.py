"""The embedded Guard writing windows and signals through the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import redline
from redline.guard.sinks import ClosedWindow
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services import StoreSink, list_window_profiles, record_window
from redline.services.store_sink import window_record
from redline.store import Store, list_signals


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(3)
    return redline.fit_reference(
        {"x": rng.normal(size=20_000), "c": rng.choice(["a", "b", "c"], 20_000)},
        window_sizes=[100, 1_000, 10_000],
    )


def shifted_rows(n: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(4)
    return [{"x": float(v), "c": "a"} for v in rng.normal(1.0, 1.0, n)]


def test_guard_stores_windows_signals_and_feedback(empty_url: str, reference: Reference) -> None:
    with redline.Guard(
        model="credit", predict=lambda r: r["x"], reference=reference, store=empty_url
    ) as guard:
        for row in shifted_rows(1_000):
            decision = guard.predict(row)
        guard.feedback(decision.request_id, 0)
    store = Store.from_url(empty_url)
    try:
        windows = list_window_profiles(store, model="credit")
        with store.session() as session:
            signals = [row.to_signal() for row in list_signals(session, model="credit")]
            assert len(windows) == 1
            assert windows[0].n_rows == 1_000
            assert {(s.kind, s.column) for s in signals} >= {
                ("feature_drift", "x"),
                ("feature_drift", "c"),
            }
            assert all(s.evidence["statistics"] for s in signals if s.kind == "feature_drift")
    finally:
        store.dispose()


def test_recording_a_window_twice_is_idempotent(migrated_url: str, reference: Reference) -> None:
    redline_store = Store.from_url(migrated_url)
    window = WindowProfile.of(reference, {"x": np.zeros(10), "c": ["a"] * 10})
    window.start = window.end = datetime.now(UTC)
    try:
        assert record_window(redline_store, ClosedWindow("m", window))
        assert not record_window(redline_store, ClosedWindow("m", window))
        assert len(list_window_profiles(redline_store, model="m")) == 1
    finally:
        redline_store.dispose()


def test_store_sink_spools_windows_while_the_store_is_down(
    migrated_url: str, reference: Reference, tmp_path: Path
) -> None:
    down = Store.from_url("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    spool = tmp_path / "spool" / "m.spool"
    sink = StoreSink(down, spool_path=spool)
    first = WindowProfile.of(reference, {"x": np.ones(5), "c": ["b"] * 5})
    second = WindowProfile.of(reference, {"x": np.ones(7), "c": ["b"] * 7})
    assert not sink.write(ClosedWindow("m", first))
    sink.close()
    sink = StoreSink(down, spool_path=spool)  # a restart finds the window in the spool
    assert sink.backlog == 1
    up = Store.from_url(migrated_url)
    sink.store = up
    assert not sink.write(ClosedWindow("m", second))  # behind the older one, in order
    try:
        assert sink.drain() == 2
        assert sink.backlog == 0
        assert [w.n_rows for w in list_window_profiles(up, model="m")] == [5, 7]
    finally:
        sink.close()
        up.dispose()
        down.dispose()


def test_a_guard_starts_and_serves_with_its_store_down_then_sends_what_waited(
    tmp_path: Path, reference: Reference
) -> None:
    path = tmp_path / "redline.db"
    path.mkdir()  # a directory where the database file should be: every connection fails
    url = f"sqlite:///{path}"
    guard = redline.Guard(model="m", predict=lambda r: r["x"], reference=reference, store=url)
    try:
        decisions = [guard.predict(row) for row in shifted_rows(200)]
        guard.flush()
        assert {d.route for d in decisions} == {"primary"}
        path.rmdir()  # the store comes back (empty: the sink migrates it first)
        for row in shifted_rows(150):
            guard.predict(row)
        guard.flush()
    finally:
        guard.close()
    store = Store.from_url(url)
    try:
        assert sorted(w.n_rows for w in list_window_profiles(store, model="m")) == [150, 200]
    finally:
        store.dispose()


def test_windows_a_full_spool_cannot_take_are_counted_and_logged(
    reference: Reference, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = Store.from_url("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    windows = [WindowProfile.of(reference, {"x": np.ones(3), "c": ["a"] * 3}) for _ in range(3)]
    size = len(json.dumps(window_record(ClosedWindow("m", windows[0])), separators=(",", ":")))
    sink = StoreSink(down, spool_path=tmp_path / "m.spool", max_spool_bytes=2 * size + size // 2)
    try:
        with caplog.at_level(logging.ERROR, logger="redline.services"):
            for window in windows:
                sink.write(ClosedWindow("m", window))
    finally:
        sink.close()
        down.dispose()
    assert (sink.backlog, sink.dropped) == (2, 1)  # the spool keeps what it can, on disk
    lost = [r.getMessage() for r in caplog.records if "lost" in r.getMessage()]
    assert len(lost) == 1
    assert windows[2].window_id in lost[0]
