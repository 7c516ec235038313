"""Claims on the notification outbox: each notice is sent by one sender at a time.

A sender claims notices in one statement (status ``sending``, ``claimed_by``, ``claimed_at``)
and commits before any network I/O, so a second sender skips them; a sender that dies leaves
its claims to be taken over once they are older than the lease (the notice may then go twice,
never zero times). Functions flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Unpack, cast

from sqlalchemy import Table, and_, or_, select, update
from sqlalchemy.orm import Session

from redline.store.queries_actions import NotificationChanges
from redline.store.tables_actions import NOTIFICATION_STATUSES, NotificationRow

__all__ = ["claim_notifications", "save_claimed_notification"]


def _table() -> Table:
    return cast(Table, NotificationRow.__table__)


def claim_notifications(
    session: Session, *, claimant: str, now: datetime, stale_before: datetime, limit: int = 100
) -> list[NotificationRow]:
    """Claim up to ``limit`` notices, oldest first, for ``claimant``: pending ones and those
    whose claim was made before ``stale_before`` (their sender died). Returns them, claimed.

    PostgreSQL skips notices another transaction is claiming (``SKIP LOCKED``) and re-checks
    the condition on the row it updates; SQLite claims under its write lock.
    """
    if limit < 1:
        raise ValueError(f"a claim needs a limit of at least 1 notice, not {limit}")
    table = _table()
    claimable = or_(
        table.c.status == "pending",
        and_(table.c.status == "sending", table.c.claimed_at < stale_before),
    )
    oldest = select(table.c.id).where(claimable).order_by(table.c.created_at, table.c.id)
    oldest = oldest.limit(limit)
    if session.connection().dialect.name == "postgresql":
        oldest = oldest.with_for_update(skip_locked=True)
    claim = (
        update(table)
        .where(table.c.id.in_(oldest.scalar_subquery()), claimable)
        .values(status="sending", claimed_by=claimant, claimed_at=now)
        .returning(table.c.id)
    )
    ids = list(session.execute(claim).scalars())
    if not ids:
        return []
    rows = select(NotificationRow).where(NotificationRow.id.in_(ids))
    rows = rows.order_by(NotificationRow.created_at, NotificationRow.id)
    return list(session.scalars(rows.execution_options(populate_existing=True)))


def save_claimed_notification(
    session: Session,
    *,
    notification_id: int,
    claimant: str,
    **changes: Unpack[NotificationChanges],
) -> bool:
    """Record how a claimed notice's delivery went; False if ``claimant`` no longer holds it
    (its claim went stale and another sender took it over: that sender records the outcome).
    """
    fields = NotificationChanges.__required_keys__ | NotificationChanges.__optional_keys__
    unknown = sorted(set(changes) - set(fields))
    if unknown:
        raise ValueError(f"cannot save notifications: unknown fields {', '.join(unknown)}")
    status = changes.get("status")
    if status is not None and status not in NOTIFICATION_STATUSES:
        raise ValueError(f"{status!r} is not a notification status {NOTIFICATION_STATUSES}")
    mine = and_(
        NotificationRow.id == notification_id,
        NotificationRow.status == "sending",
        NotificationRow.claimed_by == claimant,
    )
    done = session.execute(update(NotificationRow).where(mine).values(**changes))
    return bool(getattr(done, "rowcount", 0))
