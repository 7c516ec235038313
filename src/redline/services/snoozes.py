"""Snoozes: signals matching a fingerprint pattern open no incident until a set time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from redline.domain import Snooze, is_snoozed
from redline.errors import RedlineError
from redline.services.chains import record_audit
from redline.store import Session, SignalRow, SnoozeRow, Store, add_snooze, list_active_snoozes
from redline.store import list_snoozes as list_snooze_rows

__all__ = ["SnoozeError", "active_snoozes_in", "drop_snoozed_in", "list_snoozes", "snooze"]


class SnoozeError(RedlineError):
    """A snooze without a reason, a pattern, an actor or a future expiry."""


def snooze(
    store: Store,
    *,
    pattern: str,
    until: datetime,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> SnoozeRow:
    """Snooze signals whose fingerprint matches ``pattern`` (fnmatch) until ``until``."""
    # Snoozed signals are still stored; they only open or feed no incident.
    at = now or datetime.now(UTC)
    try:
        checked = Snooze(fingerprint_pattern=pattern, until=until, reason=reason)
    except ValueError as exc:
        raise SnoozeError(f"cannot snooze {pattern!r}: {exc}") from exc
    if checked.until <= at:
        raise SnoozeError(
            f"cannot snooze {pattern!r} until {until.isoformat()}: that is not in the future "
            f"(now {at.isoformat()}); a snooze must expire later"
        )
    if not actor.strip():
        raise SnoozeError(f"cannot snooze {pattern!r}: say who snoozes it (actor)")
    with store.session() as session:
        row = add_snooze(
            session,
            fingerprint_pattern=pattern,
            until=until,
            reason=reason.strip(),
            created_by=actor,
            created_at=at,
        )
        record_audit(
            session,
            at=at,
            actor=actor,
            action="snooze_added",
            target=f"snooze:{row.id}",
            details=checked.to_dict(),
        )
    return row


def list_snoozes(
    store: Store, *, now: datetime | None = None, active_only: bool = True, limit: int = 100
) -> list[SnoozeRow]:
    """Snoozes active at ``now`` (ending soonest first), or all of them, newest first."""
    with store.reading() as session:
        if active_only:
            return list_active_snoozes(session, now=now or datetime.now(UTC))[:limit]
        return list_snooze_rows(session, limit=limit)


def active_snoozes_in(session: Session, *, now: datetime) -> list[Snooze]:
    """The snoozes in force at ``now``, as domain rules."""
    return [
        Snooze(fingerprint_pattern=r.fingerprint_pattern, until=r.until, reason=r.reason)
        for r in list_active_snoozes(session, now=now)
    ]


def drop_snoozed_in(
    session: Session, *, rows: Sequence[SignalRow], now: datetime
) -> list[SignalRow]:
    """The stored signals no snooze in force at ``now`` covers."""
    if not rows:
        return []
    snoozes = active_snoozes_in(session, now=now)
    return [row for row in rows if not is_snoozed(row.to_signal(), snoozes, now)]
