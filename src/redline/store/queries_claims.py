"""Claims on stored work for workers: windows to respond to, job locks and leases.

A claim lasts as long as the caller's transaction: committing (with ``evaluated_at`` set)
finishes the work; a rollback, or a worker that dies and drops its connection, hands the work
back to the next claimer. Claim first in a transaction: on SQLite the claim takes the
database write lock, which must come before any read so the reads see every commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redline.store.queries_incidents import _bump_counter
from redline.store.tables import SignalRow, WindowRow, as_utc
from redline.store.tables_incidents import CounterRow, IncidentSignalRow

__all__ = [
    "claim_windows",
    "get_heartbeat",
    "get_mark",
    "list_untriaged_signals",
    "list_untriaged_signals_of",
    "list_waiting_models",
    "release_lease",
    "save_heartbeat",
    "save_mark",
    "try_lease",
    "try_lock",
]

#: The counter whose UPDATE takes SQLite's write lock on behalf of a claimer.
SQLITE_CLAIM_COUNTER = "claims:write_lock"
#: Namespace of PostgreSQL advisory locks, so redline's locks do not collide with others'.
ADVISORY_NAMESPACE = "redline:"
#: Lease expiries are counted in seconds from here, to fit the counters' integer column.
LEASE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _is_postgresql(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"


def claim_windows(
    session: Session,
    *,
    limit: int = 50,
    model: str | None = None,
    models: Sequence[str] | None = None,
) -> list[WindowRow]:
    """Lock up to ``limit`` unevaluated windows, oldest first, for this transaction alone.

    PostgreSQL skips windows another transaction holds (``FOR UPDATE SKIP LOCKED``), so
    workers share the backlog without waiting; SQLite has one writer at a time, so the claim
    takes the write lock first and claimers queue (up to the busy timeout) one behind another.
    ``models``: only windows of these (those whose locks the caller holds).
    """
    if limit < 1:
        raise ValueError(f"a claim needs a limit of at least 1 window, not {limit}")
    query = select(WindowRow).where(WindowRow.evaluated_at.is_(None))
    if model is not None:
        query = query.where(WindowRow.model == model)
    if models is not None:
        query = query.where(WindowRow.model.in_(list(models)))
    query = query.order_by(WindowRow.start, WindowRow.id).limit(limit)
    if _is_postgresql(session):
        query = query.with_for_update(skip_locked=True)
    else:
        _bump_counter(session, name=SQLITE_CLAIM_COUNTER)
    return list(session.scalars(query))


def try_lock(session: Session, *, name: str) -> bool:
    """Hold the lock ``name`` until the transaction ends; False if another transaction holds it.

    PostgreSQL: a transaction-scoped advisory lock, never waited for, keyed by the schema too
    (advisory locks span a database; two redline stores in two schemas of one database must
    not hold each other's locks). SQLite: the database write lock (waited for up to the busy
    timeout), which serialises every writer anyway.
    """
    if not _is_postgresql(session):
        _bump_counter(session, name=SQLITE_CLAIM_COUNTER)
        return True
    scoped = func.concat(func.current_schema(), ":", ADVISORY_NAMESPACE + name)
    key = func.hashtextextended(scoped, 0)
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(key))))


def _seconds(at: datetime) -> int:
    return int((as_utc(at) - LEASE_EPOCH).total_seconds())


def try_lease(session: Session, *, name: str, now: datetime, until: datetime) -> bool:
    """Take the lease ``name`` until ``until`` unless another holder has it past ``now``.

    Unlike a lock, a lease outlives the transaction (commit it), so its holder may then work
    through other connections; a holder that dies loses it at ``until``. True if taken.
    """
    key, now_s, until_s = f"lease:{name}", _seconds(now), _seconds(until)
    table = cast(Table, CounterRow.__table__)
    taken = session.connection().execute(
        update(table).where(table.c.name == key, table.c.value <= now_s).values(value=until_s)
    )
    if taken.rowcount:
        return True
    if session.get(CounterRow, key) is not None:
        return False
    try:
        with session.begin_nested():  # the first holder ever: a concurrent first one may win
            session.add(CounterRow(name=key, value=until_s))
    except IntegrityError:
        return False
    return True


def release_lease(session: Session, *, name: str) -> None:
    """Give the lease ``name`` back before it runs out."""
    table = cast(Table, CounterRow.__table__)
    session.execute(update(table).where(table.c.name == f"lease:{name}").values(value=0))


def save_heartbeat(session: Session, *, name: str, until: datetime) -> None:
    """Say that holders of ``name`` are alive until ``until`` (the last writer's word wins)."""
    key, until_s = f"heartbeat:{name}", _seconds(until)
    table = cast(Table, CounterRow.__table__)
    statement = update(table).where(table.c.name == key).values(value=until_s)
    if session.connection().execute(statement).rowcount:
        return
    try:
        with session.begin_nested():  # the first heartbeat ever: a concurrent first one may win
            session.add(CounterRow(name=key, value=until_s))
    except IntegrityError:
        session.connection().execute(statement)


def get_heartbeat(session: Session, *, name: str) -> datetime | None:
    """Until when the last heartbeat of ``name`` said its holders are alive, or None."""
    row = session.get(CounterRow, f"heartbeat:{name}")
    return None if row is None else LEASE_EPOCH + timedelta(seconds=int(row.value))


def get_mark(session: Session, *, name: str) -> int | None:
    """The number a worker left under ``name`` (a route revision checked, a time due), or None."""
    row = session.get(CounterRow, f"mark:{name}")
    return None if row is None else int(row.value)


def save_mark(session: Session, *, name: str, value: int) -> None:
    """Leave ``value`` under ``name``; hold the lease of the work it describes while doing so."""
    row = session.get(CounterRow, f"mark:{name}")
    if row is None:
        session.add(CounterRow(name=f"mark:{name}", value=value))
    else:
        row.value = value
    session.flush()


def list_untriaged_signals(session: Session, *, window_id: str) -> list[SignalRow]:
    """Signals of a window that no incident holds yet, in the order they were stored."""
    linked = select(IncidentSignalRow.signal_id).where(IncidentSignalRow.signal_id == SignalRow.id)
    query = (
        select(SignalRow)
        .where(SignalRow.window_id == window_id, ~linked.exists())
        .order_by(SignalRow.id)
    )
    return list(session.scalars(query))


def list_untriaged_signals_of(
    session: Session, *, window_ids: Sequence[str]
) -> dict[str, list[SignalRow]]:
    """:func:`list_untriaged_signals` of several windows in one query, by window id."""
    out: dict[str, list[SignalRow]] = {window_id: [] for window_id in window_ids}
    if not out:
        return out
    linked = select(IncidentSignalRow.signal_id).where(IncidentSignalRow.signal_id == SignalRow.id)
    query = (
        select(SignalRow)
        .where(SignalRow.window_id.in_(list(out)), ~linked.exists())
        .order_by(SignalRow.id)
    )
    for row in session.scalars(query):
        out[cast(str, row.window_id)].append(row)
    return out


def list_waiting_models(session: Session, *, limit: int = 100) -> list[tuple[str, int]]:
    """Models with windows not evaluated yet, the one waiting longest first, with how many."""
    query = (
        select(WindowRow.model, func.count())
        .where(WindowRow.evaluated_at.is_(None))
        .group_by(WindowRow.model)
        .order_by(func.min(WindowRow.start), WindowRow.model)
        .limit(limit)
    )
    return [(name, int(count)) for name, count in session.execute(query)]
