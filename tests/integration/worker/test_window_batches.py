"""Windows stored and responded to in batches: the same outcome as one by one, in a number of
statements that does not grow with the batch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from worker_support import closed_window, paging_plan, reference, store_fixture

from redline.domain import Level
from redline.services.catalog import save_reference
from redline.services.ingest import respond_to_windows, store_windows
from redline.store import (
    Store,
    get_window,
    list_incidents,
    list_signals,
    list_untriaged_signals,
)

store = store_fixture()


@contextmanager
def _counting(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def test_a_batch_stores_each_window_once_repeats_included(store: Store) -> None:
    first, second = closed_window("m", 0), closed_window("m", 1)
    assert store_windows(store, [first]) == [True]
    assert store_windows(store, [second, first, second], judge=False) == [True, False, False]
    with store.reading() as session:
        ids = sorted(s.window_id or "" for s in list_signals(session, model="m"))
        assert ids == ["m-w0000", "m-w0001"]  # one signal each: none stored twice
        stored = get_window(session, window_id="m-w0001")
        assert stored is not None
        assert (stored.results, stored.evaluated_at) == (None, None)


def test_quiet_windows_are_judged_and_marked_in_a_fixed_number_of_statements(
    store: Store,
) -> None:
    save_reference(store, model="m", body=reference().to_dict(), actor="test")
    quiet = [closed_window("m", i) for i in range(30)]
    for closed in quiet:
        closed.signals.clear()
    store_windows(store, quiet, judge=False)
    with _counting(store) as statements:
        assert len(respond_to_windows(store, plan=paging_plan(), batch=30)) == 30
    # Claim, lock, reference, signals, the quiet checks, one update: not one set per window.
    assert len(statements) <= 12, statements
    with store.reading() as session:
        rows = [get_window(session, window_id=c.window.window_id) for c in quiet]
        assert all(r is not None and r.evaluated_at is not None for r in rows)
        assert all(r is not None and r.results and r.results["columns"] for r in rows)


def test_a_window_with_signals_in_a_batch_is_still_triaged(store: Store) -> None:
    windows = [closed_window("m", i) for i in range(6)]
    for closed in windows[:3] + windows[4:]:
        closed.signals.clear()
    windows[3] = closed_window("m", 3, level=Level.ALARM)
    store_windows(store, windows, judge=False)
    assert len(respond_to_windows(store, plan=paging_plan(), batch=10)) == 6
    with store.reading() as session:
        assert len(list_incidents(session, model="m")) == 1
        assert list_untriaged_signals(session, window_id="m-w0003") == []  # in the incident
    assert respond_to_windows(store, plan=paging_plan()) == []
