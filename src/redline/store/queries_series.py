"""Reads for time series over a model's windows: ids by time, then each window's small summary,
or the few parts of its payload for windows stored without one.

A window's payload is its whole profile (sketches and samples, ~16 kB); a chart needs a few small
numbers of it, kept in ``windows.summary`` when the window is stored (0011). For windows stored
before that, the parts are extracted in SQL, so a week of one-minute windows never crosses into
Python as whole documents. On SQLite one ``json_extract`` with several paths parses each payload
once; on PostgreSQL each part is a JSONB path lookup with bound parameters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, null, select
from sqlalchemy.orm import Session

from redline.store.tables import WindowRow

__all__ = [
    "WINDOW_PARTS",
    "WindowParts",
    "WindowSummary",
    "get_window_span",
    "list_evaluated_ids",
    "list_window_ids",
    "list_window_parts",
    "list_window_summaries",
]

#: The parts of a payload a time series reads, besides the named columns' states.
WINDOW_PARTS = ("reference_hash", "latency_ms", "sources", "routes", "errors")
_HEAD = (
    WindowRow.id,
    WindowRow.start,
    WindowRow.end,
    WindowRow.n_rows,
    WindowRow.evaluated_at.is_not(None),
    WindowRow.results,
)
#: Ids per ``IN (...)`` list, well under every backend's bound-parameter limit.
_CHUNK = 500


class WindowParts(NamedTuple):
    """A window's times, rows, stored results and the small parts of its payload
    (``WINDOW_PARTS`` and ``columns``: the states of the columns asked for, by name)."""

    id: str
    start: datetime
    end: datetime
    n_rows: int
    evaluated: bool
    results: dict[str, Any] | None
    parts: dict[str, Any]


class WindowSummary(NamedTuple):
    """A window's times, rows and stored summary (None: stored without one); its stored
    results only when asked for."""

    id: str
    start: datetime
    end: datetime
    n_rows: int
    evaluated: bool
    results: dict[str, Any] | None
    summary: dict[str, Any] | None


def list_window_ids(session: Session, *, model: str, start: datetime, end: datetime) -> list[str]:
    """Ids of the windows of ``model`` starting in [start, end), oldest first.

    Only columns stored before the payload are read: on SQLite a column after it (such as
    ``evaluated_at``) would walk each row's overflow pages, ~16 kB a window.
    """
    query = (
        select(WindowRow.id)
        .where(WindowRow.model == model, WindowRow.start >= start, WindowRow.start < end)
        .order_by(WindowRow.start, WindowRow.id)
    )
    return list(session.scalars(query))


def list_evaluated_ids(session: Session, *, window_ids: Sequence[str]) -> list[str]:
    """Which of these windows have been evaluated (their monitors' results are final)."""
    out: list[str] = []
    for i in range(0, len(window_ids), _CHUNK):
        chunk = list(window_ids[i : i + _CHUNK])
        query = select(WindowRow.id).where(
            WindowRow.id.in_(chunk), WindowRow.evaluated_at.is_not(None)
        )
        out.extend(session.scalars(query))
    return out


def get_window_span(session: Session, *, model: str) -> tuple[datetime, datetime] | None:
    """The first window's start and the last window's end of ``model``, or None without windows."""
    query = select(func.min(WindowRow.start), func.max(WindowRow.end)).where(
        WindowRow.model == model
    )
    first, last = session.execute(query).one()
    return None if first is None or last is None else (first, last)


def list_window_summaries(
    session: Session, *, window_ids: Sequence[str], results: bool = True
) -> list[WindowSummary]:
    """The summaries of these windows (any order), with their stored ``results`` (else None);
    no payload is read."""
    out: list[WindowSummary] = []
    head: tuple[Any, ...] = _HEAD if results else (*_HEAD[:-1], null())
    for i in range(0, len(window_ids), _CHUNK):
        chunk = list(window_ids[i : i + _CHUNK])
        query = select(*head, WindowRow.summary).where(WindowRow.id.in_(chunk))
        for row in session.execute(query):
            window_id, start, end, n_rows, evaluated, stored, summary = tuple(row)
            out.append(
                WindowSummary(window_id, start, end, n_rows, bool(evaluated), stored, summary)
            )
    return out


def list_window_parts(
    session: Session, *, window_ids: Sequence[str], columns: Sequence[str]
) -> list[WindowParts]:
    """The stored results and small payload parts of these windows (any order)."""
    out: list[WindowParts] = []
    sqlite = session.get_bind().dialect.name == "sqlite"
    for i in range(0, len(window_ids), _CHUNK):
        chunk = list(window_ids[i : i + _CHUNK])
        out.extend(
            _sqlite_parts(session, chunk, columns)
            if sqlite
            else _json_parts(session, chunk, columns)
        )
    return out


def _sqlite_path(column: str) -> str:
    # SQLite paths cannot escape a double quote inside a quoted label: such a name is
    # read with every column (rare; correct, only slower).
    return f'$.columns."{column}"' if '"' not in column and "\\" not in column else "$.columns"


def _sqlite_parts(
    session: Session, window_ids: list[str], columns: Sequence[str]
) -> list[WindowParts]:
    paths = [f"$.{part}" for part in WINDOW_PARTS] + [_sqlite_path(c) for c in columns]
    # With two or more paths json_extract returns one JSON array, parsing the payload once.
    parts = func.json_extract(WindowRow.payload, *paths)
    query = select(*_HEAD, parts).where(WindowRow.id.in_(window_ids))
    out = []
    for window_id, start, end, n_rows, evaluated, results, text in session.execute(query):
        values = json.loads(text) if text else [None] * len(paths)
        found = dict(zip(WINDOW_PARTS, values, strict=False))
        states = values[len(WINDOW_PARTS) :]
        found["columns"] = {
            c: (s.get(c) if isinstance(s, dict) and _sqlite_path(c) == "$.columns" else s)
            for c, s in zip(columns, states, strict=False)
        }
        out.append(WindowParts(window_id, start, end, n_rows, bool(evaluated), results, found))
    return out


def _json_parts(
    session: Session, window_ids: list[str], columns: Sequence[str]
) -> list[WindowParts]:
    payload = WindowRow.payload
    selected = [payload[part] for part in WINDOW_PARTS] + [payload[("columns", c)] for c in columns]
    query = select(*_HEAD, *selected).where(WindowRow.id.in_(window_ids))
    out = []
    for window_id, start, end, n_rows, evaluated, results, *values in session.execute(query):
        found = dict(zip(WINDOW_PARTS, values, strict=False))
        found["columns"] = dict(zip(columns, values[len(WINDOW_PARTS) :], strict=False))
        out.append(WindowParts(window_id, start, end, n_rows, bool(evaluated), results, found))
    return out
