"""Claiming windows: several workers respond to each window exactly once; a crash hands it on."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select
from worker_support import closed_window, run_threads, store_windows

from redline.services import control_loop
from redline.services.ingest import record_window, respond_to_windows
from redline.services.response import ResponsePlan
from redline.store import (
    IncidentSignalRow,
    Store,
    claim_windows,
    get_window,
    list_signals,
    list_unevaluated_windows,
)
from redline.worker import Worker

MODELS = ("credit", "fraud", "churn", "spam")


def _linked_signals(store: Store) -> Counter[int]:
    with store.session() as session:
        return Counter(link.signal_id for link in session.scalars(select(IncidentSignalRow)))


def test_two_workers_respond_to_each_of_200_windows_exactly_once(
    store: Store, migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [i for model in MODELS for i in store_windows(store, model, 50)]
    responded: list[str] = []  # every window id whose response committed, by either worker

    def counted(target: Store, **kwargs: Any) -> list[str]:
        done = respond_to_windows(target, **kwargs)
        responded.extend(done)
        return done

    monkeypatch.setattr(control_loop, "respond_to_windows", counted)

    def work() -> None:
        own = Store.from_url(migrated_url)  # its own engine and connections, like a process
        try:
            worker = Worker(own, batch=10)
            for _ in range(200):  # a tick that meets a busy store tries again on the next
                if len(responded) >= len(ids):
                    return
                worker.tick()
        finally:
            own.dispose()

    run_threads([work, work])
    assert sorted(Counter(responded)) == sorted(ids)
    assert set(Counter(responded).values()) == {1}
    with store.session() as session:
        assert list_unevaluated_windows(session) == []
        signal_ids = [row.id for model in MODELS for row in list_signals(session, model=model)]
    assert len(signal_ids) == 200
    assert _linked_signals(store) == Counter(signal_ids)  # every signal triaged once


def test_a_claim_is_exclusive_until_it_ends(store: Store, migrated_url: str) -> None:
    store_windows(store, "credit", 3)
    other = Store.from_url(migrated_url)
    try:
        with store.session() as session:
            claimed = claim_windows(session, limit=2)
            assert [w.id for w in claimed] == ["credit-w0000", "credit-w0001"]
            if store.engine.dialect.name == "postgresql":  # SQLite queues claimers instead
                with other.session() as second:
                    assert [w.id for w in claim_windows(second, limit=5)] == ["credit-w0002"]
            session.rollback()  # the claimer gives up: nothing was responded to
        with other.session() as second:
            assert len(claim_windows(second, limit=5)) == 3
    finally:
        other.dispose()


def test_a_worker_killed_between_claim_and_commit_leaves_the_window_for_the_next(
    store: Store, migrated_url: str
) -> None:
    (window_id,) = store_windows(store, "credit", 1)
    script = textwrap.dedent(
        f"""
        import time
        import redline.services.ingest as ingest
        from redline.services.response import ResponsePlan
        from redline.store import Store

        def hang(session, **kwargs):
            print("claimed", kwargs["window"].window_id, flush=True)
            time.sleep(120)

        ingest.respond_to_window_in = hang
        ingest.respond_to_windows(Store.from_url({migrated_url!r}), plan=ResponsePlan())
        """
    )
    crashing = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert crashing.stdout is not None
        assert crashing.stdout.readline().split() == ["claimed", window_id]
        if store.engine.dialect.name == "postgresql":  # the claim holds: others skip it
            assert respond_to_windows(store, plan=ResponsePlan()) == []
    finally:
        crashing.kill()
        crashing.wait(timeout=30)
        crashing.stdout.close()  # type: ignore[union-attr]
    assert respond_to_windows(store, plan=ResponsePlan()) == [window_id]
    with store.session() as session:
        row = get_window(session, window_id=window_id)
        assert row is not None
        assert row.evaluated_at is not None


def test_inline_recording_stays_one_step_and_leaves_nothing_to_claim(store: Store) -> None:
    assert record_window(store, closed_window("credit", 0), plan=ResponsePlan())
    assert not record_window(store, closed_window("credit", 0), plan=ResponsePlan())
    assert respond_to_windows(store, plan=ResponsePlan()) == []
    assert len(_linked_signals(store)) == 1
