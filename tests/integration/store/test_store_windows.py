"""Windows: idempotent ingest, listing, evaluation marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from redline.errors import StoreError
from redline.store import (
    WindowRow,
    add_window,
    get_window,
    list_unevaluated_windows,
    list_windows,
    mark_window_evaluated,
)
from redline.store.queries import _add_once

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _add(session: Session, window_id: str, *, model: str = "m", minute: int = 0) -> WindowRow:
    start = T0 + minute * MINUTE
    row, _ = add_window(
        session,
        window_id=window_id,
        model=model,
        start=start,
        end=start + MINUTE,
        n_rows=10,
        payload={"id": window_id},
    )
    return row


def test_adding_the_same_window_twice_is_a_no_op(session: Session) -> None:
    _, created = add_window(
        session, window_id="w1", model="m", start=T0, end=T0 + MINUTE, n_rows=5, payload={"a": 1}
    )
    assert created
    session.expunge_all()
    again, created_again = add_window(
        session, window_id="w1", model="m", start=T0, end=T0 + MINUTE, n_rows=99, payload={"b": 2}
    )
    assert not created_again
    assert (again.n_rows, again.payload) == (5, {"a": 1})
    assert session.scalar(select(func.count()).select_from(WindowRow)) == 1


def test_a_concurrent_insert_of_the_same_window_is_absorbed(session: Session) -> None:
    _add(session, "w1")
    session.expunge_all()
    lookups: list[int] = []

    def find_after_losing_the_race() -> WindowRow | None:
        lookups.append(1)
        return None if len(lookups) == 1 else session.get(WindowRow, "w1")

    duplicate = WindowRow(id="w1", model="m", start=T0, end=T0, n_rows=0, payload={})
    row, created = _add_once(session, duplicate, find_after_losing_the_race)
    assert not created
    assert row.n_rows == 10
    assert get_window(session, window_id="w1") is row  # the transaction is still usable


def test_invalid_windows_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="ends"):
        add_window(
            session, window_id="w", model="m", start=T0, end=T0 - MINUTE, n_rows=1, payload={}
        )
    with pytest.raises(ValueError, match="negative"):
        add_window(session, window_id="w", model="m", start=T0, end=T0, n_rows=-1, payload={})
    with pytest.raises(ValueError, match="naive"):
        add_window(
            session,
            window_id="w",
            model="m",
            start=datetime(2024, 5, 1),
            end=datetime(2024, 5, 2),
            n_rows=1,
            payload={},
        )


def test_list_windows_filters_model_and_since_ordered_by_start(session: Session) -> None:
    for window_id, minute in [("c", 2), ("a", 0), ("b", 1), ("d", 3)]:
        _add(session, window_id, minute=minute)
    _add(session, "other", model="n", minute=1)
    session.expunge_all()

    assert [w.id for w in list_windows(session, model="m")] == ["a", "b", "c", "d"]
    assert [w.id for w in list_windows(session, model="m", since=T0 + MINUTE)] == ["b", "c", "d"]
    assert [w.id for w in list_windows(session, model="m", limit=2)] == ["a", "b"]
    assert [w.id for w in list_windows(session, model="n")] == ["other"]
    assert list_windows(session, model="nobody") == []


def test_evaluated_windows_leave_the_unevaluated_list(session: Session) -> None:
    _add(session, "a", minute=0)
    _add(session, "b", minute=1)
    _add(session, "x", model="n", minute=2)
    assert [w.id for w in list_unevaluated_windows(session)] == ["a", "b", "x"]
    assert [w.id for w in list_unevaluated_windows(session, model="m", limit=1)] == ["a"]

    marked = mark_window_evaluated(session, window_id="a", at=T0 + 5 * MINUTE)
    session.expunge_all()
    assert [w.id for w in list_unevaluated_windows(session, model="m")] == ["b"]
    reloaded = get_window(session, window_id="a")
    assert reloaded is not None
    assert reloaded.evaluated_at == marked.evaluated_at == T0 + 5 * MINUTE


def test_marking_an_unknown_window_raises(session: Session) -> None:
    with pytest.raises(StoreError, match="'ghost'"):
        mark_window_evaluated(session, window_id="ghost", at=T0)
