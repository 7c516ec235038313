"""Data functions: read and write rows. They flush; the caller (a service) commits."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Insert, Table, Text, bindparam, func, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redline.domain import Level, Signal
from redline.errors import StoreError
from redline.store.json_codec import dumps_json
from redline.store.tables import Base, ReferenceRow, SignalRow, WindowRow

__all__ = [
    "add_reference",
    "add_signals",
    "add_window",
    "add_windows",
    "count_windows",
    "get_latest_reference",
    "get_reference",
    "get_window",
    "list_signals",
    "list_unevaluated_windows",
    "list_windows",
    "mark_window_evaluated",
    "mark_windows_evaluated",
    "save_window_results",
]

_Row = TypeVar("_Row", bound=Base)


def _add_once(session: Session, row: _Row, find: Callable[[], _Row | None]) -> tuple[_Row, bool]:
    """Insert ``row`` unless ``find`` returns one already; True if inserted."""
    existing = find()
    if existing is not None:
        return existing, False
    try:
        # The savepoint keeps the caller's transaction usable if a concurrent writer won.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = find()
        if existing is None:
            raise
        return existing, False
    return row, True


def _save_row(
    session: Session,
    row_type: type[_Row],
    row_id: int,
    changes: Mapping[str, object],
    fields: Collection[str],
) -> _Row:
    """Set ``changes`` on the row with this id and flush; unknown fields are refused."""
    table = row_type.__tablename__
    unknown = sorted(set(changes) - set(fields))
    if unknown:
        raise ValueError(f"cannot save {table}: unknown fields {', '.join(unknown)}")
    row = session.get(row_type, row_id)
    if row is None:
        raise StoreError(f"cannot save {table} row {row_id}: it is not in the store")
    for name, value in changes.items():
        setattr(row, name, value)
    session.flush()
    return row


def add_reference(
    session: Session, *, model: str, content_hash: str, payload: dict[str, Any]
) -> ReferenceRow:
    """Store a fitted reference; the same model and hash give back the existing row."""
    row = ReferenceRow(model=model, content_hash=content_hash, payload=payload)
    return _add_once(
        session, row, lambda: get_reference(session, model=model, content_hash=content_hash)
    )[0]


def get_reference(session: Session, *, model: str, content_hash: str) -> ReferenceRow | None:
    """The reference of ``model`` with this content hash, or None."""
    query = select(ReferenceRow).where(
        ReferenceRow.model == model, ReferenceRow.content_hash == content_hash
    )
    return session.scalars(query).first()


def get_latest_reference(session: Session, *, model: str) -> ReferenceRow | None:
    """The reference of ``model`` stored last, or None."""
    query = (
        select(ReferenceRow)
        .where(ReferenceRow.model == model)
        .order_by(ReferenceRow.created_at.desc(), ReferenceRow.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def add_window(
    session: Session,
    *,
    window_id: str,
    model: str,
    start: datetime,
    end: datetime,
    n_rows: int,
    payload: dict[str, Any],
    results: dict[str, Any] | None = None,
    summary: dict[str, Any] | None = None,
) -> tuple[WindowRow, bool]:
    """Store a closed window (with its monitors' ``results`` and its charts' ``summary``)
    once; True if it was new."""
    if end < start:
        raise ValueError(f"window {window_id!r} ends ({end}) before it starts ({start})")
    if n_rows < 0:
        raise ValueError(f"window {window_id!r} has a negative row count ({n_rows})")
    row = WindowRow(
        id=window_id,
        model=model,
        start=start,
        end=end,
        n_rows=n_rows,
        payload=payload,
        results=results,
        summary=summary,
    )
    return _add_once(session, row, lambda: session.get(WindowRow, window_id))


def add_windows(session: Session, *, windows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Store closed windows (each with :func:`add_window`'s fields) in one statement, skipping
    ids already stored (also by a concurrent writer); returns the ids that were new."""
    for w in windows:
        if w["end"] < w["start"]:
            raise ValueError(f"window {w['window_id']!r} ends ({w['end']}) before it starts")
        if w["n_rows"] < 0:
            raise ValueError(f"window {w['window_id']!r} has a negative row count ({w['n_rows']})")
    if not windows:
        return set()
    session.flush()  # rows added through the session before these must be in first
    table = cast(Table, WindowRow.__table__)
    statement: Insert
    postgresql = session.connection().dialect.name == "postgresql"
    if postgresql:
        statement = pg_insert(table).on_conflict_do_nothing(index_elements=["id"])
    else:
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=["id"])
    statement = statement.values(payload=_json_text_param("payload_json", jsonb=postgresql))
    values = [
        {
            "id": w["window_id"],
            "model": w["model"],
            "start": w["start"],
            "end": w["end"],
            "n_rows": w["n_rows"],
            "payload_json": dumps_json(w["payload"]),
            "results": w.get("results"),
            "summary": w.get("summary"),
        }
        for w in windows
    ]
    return set(session.scalars(statement.returning(table.c.id), values))


def _json_text_param(name: str, *, jsonb: bool) -> ColumnElement[Any]:
    """A parameter taking JSON text for a JSON column (PostgreSQL: cast to JSONB)."""
    param = bindparam(name, type_=Text)
    return sql_cast(param, JSONB) if jsonb else param


def get_window(session: Session, *, window_id: str) -> WindowRow | None:
    """The window with this id, or None."""
    return session.get(WindowRow, window_id)


def list_windows(
    session: Session, *, model: str, since: datetime | None = None, limit: int = 1000
) -> list[WindowRow]:
    """Windows of ``model`` starting at or after ``since``, oldest first."""
    query = select(WindowRow).where(WindowRow.model == model)
    if since is not None:
        query = query.where(WindowRow.start >= since)
    query = query.order_by(WindowRow.start, WindowRow.id).limit(limit)
    return list(session.scalars(query))


def count_windows(session: Session, *, model: str, since: datetime | None = None) -> int:
    """How many windows of ``model`` start at or after ``since``."""
    query = select(func.count()).select_from(WindowRow).where(WindowRow.model == model)
    if since is not None:
        query = query.where(WindowRow.start >= since)
    return int(session.scalar(query) or 0)


def list_unevaluated_windows(
    session: Session, *, model: str | None = None, limit: int = 100
) -> list[WindowRow]:
    """Windows no monitor has evaluated yet, oldest first."""
    query = select(WindowRow).where(WindowRow.evaluated_at.is_(None))
    if model is not None:
        query = query.where(WindowRow.model == model)
    query = query.order_by(WindowRow.start, WindowRow.id).limit(limit)
    return list(session.scalars(query))


def mark_window_evaluated(session: Session, *, window_id: str, at: datetime) -> WindowRow:
    """Record that monitors evaluated the window at time ``at``."""
    row = session.get(WindowRow, window_id)
    if row is None:
        raise StoreError(f"cannot mark window {window_id!r} evaluated: it is not in the store")
    row.evaluated_at = at
    session.flush()
    return row


def mark_windows_evaluated(
    session: Session, *, evaluated: Sequence[tuple[str, dict[str, Any] | None, datetime]]
) -> None:
    """Mark windows ``(id, results, at)`` evaluated at ``at`` in one batched statement, with
    their ``results`` (None: keep those stored). Rows already loaded keep their old values."""
    table = cast(Table, WindowRow.__table__)
    judged = [{"w_id": i, "w_at": at, "w_results": r} for i, r, at in evaluated if r is not None]
    kept = [{"w_id": i, "w_at": at} for i, r, at in evaluated if r is None]
    where = update(table).where(table.c.id == bindparam("w_id"))
    if judged:
        statement = where.values(evaluated_at=bindparam("w_at"), results=bindparam("w_results"))
        session.execute(statement, judged)
    if kept:
        session.execute(where.values(evaluated_at=bindparam("w_at")), kept)


def save_window_results(session: Session, *, window_id: str, results: dict[str, Any]) -> None:
    """Keep the monitors' per-column ``results`` with a window stored without them."""
    row = session.get(WindowRow, window_id)
    if row is None:
        raise StoreError(f"cannot save results of window {window_id!r}: it is not in the store")
    row.results = results
    session.flush()


def add_signals(
    session: Session,
    *,
    signals: Sequence[Signal],
    window_id: str | None = None,
    source: str = "monitor",
    status: str = "firing",
) -> list[SignalRow]:
    """Store signals, optionally tied to a window whose model fills in a missing one."""
    if not signals:
        return []
    window_model: str | None = None
    if window_id is not None:
        # The model alone: loading the row would parse its payload.
        window_model = session.scalar(select(WindowRow.model).where(WindowRow.id == window_id))
        if window_model is None:
            raise StoreError(f"cannot add signals to window {window_id!r}: it is not in the store")
    rows = [
        SignalRow.from_signal(
            signal if signal.model is not None else replace(signal, model=window_model),
            window_id=window_id,
            source=source,
            status=status,
        )
        for signal in signals
    ]
    session.add_all(rows)
    session.flush()
    return rows


def list_signals(
    session: Session,
    *,
    model: str | None = None,
    since: datetime | None = None,
    level: Level | None = None,
    limit: int = 1000,
) -> list[SignalRow]:
    """Signals stored at or after ``since``, newest first, filtered by model and level."""
    query = select(SignalRow)
    if model is not None:
        query = query.where(SignalRow.model == model)
    if since is not None:
        query = query.where(SignalRow.created_at >= since)
    if level is not None:
        query = query.where(SignalRow.level == Level(level).value)
    query = query.order_by(SignalRow.created_at.desc(), SignalRow.id.desc()).limit(limit)
    return list(session.scalars(query))
