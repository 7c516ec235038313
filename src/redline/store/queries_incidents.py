"""Incidents, their keys and their signals. Functions flush; the caller commits."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import NamedTuple, TypedDict, Unpack, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from redline.domain import IncidentStatus, Severity
from redline.errors import StoreError
from redline.store.queries import _add_once, _save_row
from redline.store.tables import SignalRow
from redline.store.tables_incidents import CounterRow, IncidentRow, IncidentSignalRow

__all__ = [
    "OPEN_INCIDENT_STATUSES",
    "IncidentChanges",
    "IncidentDetails",
    "SignalTally",
    "add_incident",
    "add_incident_signals",
    "get_incident",
    "list_incident_signal_kinds",
    "list_incident_signals",
    "list_incidents",
    "list_signal_tallies",
    "next_incident_key",
    "save_incident",
]


class SignalTally(NamedTuple):
    """How many of an incident's signals share a monitor, kind, column, statistic and level."""

    monitor: str
    kind: str
    column: str | None
    statistic: str
    level: str
    signals: int
    first_seen: datetime | None
    last_seen: datetime | None


# Incidents still being worked on before resolution: new signals of the model join them.
OPEN_INCIDENT_STATUSES = frozenset(
    {
        IncidentStatus.TRIAGE,
        IncidentStatus.DECLARED,
        IncidentStatus.CONTAINED,
        IncidentStatus.MONITORING,
    }
)
KEY_PREFIX = "RL"


class IncidentDetails(TypedDict, total=False):
    """The optional fields of a new incident."""

    containment_state: str | None
    impact_start: datetime | None
    impact_end: datetime | None
    affected_decisions: int | None
    first_signal_at: datetime | None
    acknowledged_at: datetime | None
    contained_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    aware_at: datetime | None
    causal_link_at: datetime | None
    resolution_reason: str | None
    postmortem_required: bool
    postmortem_status: str | None
    evidence_hold: bool
    last_signal_at: datetime | None


class IncidentChanges(IncidentDetails, total=False):
    """Every field ``save_incident`` may change (not the id, key or creation time)."""

    model: str
    title: str
    category: str
    severity: Severity
    status: IncidentStatus
    policy_version: str
    detected_at: datetime
    updated_at: datetime


def _bump_counter(session: Session, *, name: str) -> int:
    """Add one to the counter ``name`` (created at 1) and return it; locks it until commit."""
    table = cast(Table, CounterRow.__table__)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One statement, atomic under concurrency: a second writer waits on the row lock,
        # then increments the committed value.
        upsert = pg_insert(table).values(name=name, value=1)
        upsert = upsert.on_conflict_do_update(
            index_elements=[table.c.name], set_={"value": table.c.value + 1}
        )
        return int(connection.execute(upsert.returning(table.c.value)).scalar_one())
    # SQLite: the UPDATE takes the database write lock, so nobody else can insert or bump
    # before this transaction ends. RETURNING (SQLite 3.35+) saves reading the value back.
    bump = update(table).where(table.c.name == name).values(value=table.c.value + 1)
    if sqlite3.sqlite_version_info >= (3, 35):
        value = connection.execute(bump.returning(table.c.value)).scalar_one_or_none()
        if value is not None:
            return int(value)
    elif connection.execute(bump).rowcount:
        return int(
            connection.execute(select(table.c.value).where(table.c.name == name)).scalar_one()
        )
    connection.execute(insert(table).values(name=name, value=1))
    return 1


def next_incident_key(session: Session, *, year: int) -> str:
    """The next incident key of ``year`` (``RL-2026-0042``), unique even under concurrency."""
    value = _bump_counter(session, name=f"incident_key:{year}")
    return f"{KEY_PREFIX}-{year}-{value:04d}"


def add_incident(
    session: Session,
    *,
    model: str,
    title: str,
    category: str,
    severity: Severity,
    policy_version: str,
    detected_at: datetime,
    status: IncidentStatus = IncidentStatus.TRIAGE,
    key: str | None = None,
    **details: Unpack[IncidentDetails],
) -> IncidentRow:
    """Store a new incident; without a ``key`` the next one of ``detected_at``'s year is used."""
    row = IncidentRow(
        model=model,
        title=title,
        category=category,
        severity=severity,
        status=status,
        policy_version=policy_version,
        detected_at=detected_at,
        **details,
    )
    row.key = key if key is not None else next_incident_key(session, year=row.detected_at.year)
    session.add(row)
    session.flush()
    return row


def get_incident(
    session: Session, *, incident_id: int | None = None, key: str | None = None
) -> IncidentRow | None:
    """The incident with this id or key (give exactly one), or None."""
    if (incident_id is None) == (key is None):
        raise ValueError("get_incident needs exactly one of incident_id and key")
    if incident_id is not None:
        return session.get(IncidentRow, incident_id)
    return session.scalars(select(IncidentRow).where(IncidentRow.key == key)).first()


def list_incidents(
    session: Session,
    *,
    model: str | None = None,
    status: IncidentStatus | Iterable[IncidentStatus] | None = None,
    severity: Severity | None = None,
    open_only: bool = False,
    limit: int = 100,
) -> list[IncidentRow]:
    """Incidents matching every filter given, most recently detected first."""
    query = select(IncidentRow)
    if model is not None:
        query = query.where(IncidentRow.model == model)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        query = query.where(IncidentRow.status.in_([IncidentStatus(s).value for s in statuses]))
    if severity is not None:
        query = query.where(IncidentRow.severity == Severity(severity).value)
    if open_only:
        query = query.where(IncidentRow.status.in_([s.value for s in OPEN_INCIDENT_STATUSES]))
    query = query.order_by(IncidentRow.detected_at.desc(), IncidentRow.id.desc()).limit(limit)
    return list(session.scalars(query))


def save_incident(
    session: Session, *, incident_id: int, **changes: Unpack[IncidentChanges]
) -> IncidentRow:
    """Update the given fields of an incident; ``updated_at`` follows unless given."""
    fields = IncidentChanges.__required_keys__ | IncidentChanges.__optional_keys__
    return _save_row(session, IncidentRow, incident_id, changes, fields)


def add_incident_signals(session: Session, *, incident_id: int, signal_ids: Iterable[int]) -> int:
    """Link signals to an incident; links that exist are kept. Returns how many are new."""
    wanted = sorted(set(signal_ids))
    if session.get(IncidentRow, incident_id) is None:
        raise StoreError(f"cannot link signals to incident {incident_id}: it is not in the store")
    found = set(session.scalars(select(SignalRow.id).where(SignalRow.id.in_(wanted))))
    missing = [signal_id for signal_id in wanted if signal_id not in found]
    if missing:
        raise StoreError(f"cannot link signals {missing} to incident {incident_id}: not stored")
    created = 0
    for signal_id in wanted:
        link = IncidentSignalRow(incident_id=incident_id, signal_id=signal_id)
        key = (incident_id, signal_id)
        created += _add_once(session, link, partial(session.get, IncidentSignalRow, key))[1]
    return created


def list_incident_signals(
    session: Session, *, incident_id: int, newest: int | None = None
) -> list[SignalRow]:
    """The signals linked to an incident, oldest first; only the ``newest`` ones if given."""
    query = (
        select(SignalRow)
        .join(IncidentSignalRow, IncidentSignalRow.signal_id == SignalRow.id)
        .where(IncidentSignalRow.incident_id == incident_id)
    )
    if newest is None:
        return list(session.scalars(query.order_by(SignalRow.created_at, SignalRow.id)))
    latest = query.order_by(SignalRow.created_at.desc(), SignalRow.id.desc()).limit(newest)
    return list(reversed(list(session.scalars(latest))))


def list_incident_signal_kinds(session: Session, *, incident_id: int) -> set[str]:
    """The kinds of the signals linked to an incident."""
    query = (
        select(SignalRow.kind)
        .distinct()
        .join(IncidentSignalRow, IncidentSignalRow.signal_id == SignalRow.id)
        .where(IncidentSignalRow.incident_id == incident_id)
    )
    return set(session.scalars(query))


def list_signal_tallies(session: Session, *, incident_id: int) -> list[SignalTally]:
    """Per (monitor, kind, column, statistic, level) of an incident's signals: how many, and
    when the first and the last window ended (or started, for a signal without an end)."""
    seen = func.coalesce(SignalRow.window_end, SignalRow.window_start)
    keys = (SignalRow.monitor, SignalRow.kind, SignalRow.column, SignalRow.statistic)
    query = (
        select(*keys, SignalRow.level, func.count(), func.min(seen), func.max(seen))
        .join(IncidentSignalRow, IncidentSignalRow.signal_id == SignalRow.id)
        .where(IncidentSignalRow.incident_id == incident_id)
        .group_by(*keys, SignalRow.level)
    )
    return [SignalTally(*row) for row in session.execute(query)]
