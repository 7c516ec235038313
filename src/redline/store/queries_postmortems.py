"""Post-mortems: one per incident, edited under optimistic concurrency. Functions flush."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redline.errors import StoreError
from redline.store.conflicts import StaleRevisionError
from redline.store.queries import _add_once
from redline.store.tables_forensics import POSTMORTEM_STATUSES, PostmortemRow

__all__ = [
    "PostmortemChanges",
    "StalePostmortemError",
    "add_postmortem",
    "get_postmortem",
    "save_postmortem",
]


class StalePostmortemError(StaleRevisionError):
    """A post-mortem edit was based on an older version than the stored one."""


class PostmortemChanges(TypedDict, total=False):
    """What ``save_postmortem`` may change; ``version`` always moves up by one."""

    status: str
    markdown: str
    content: dict[str, Any]
    edited_by: str | None
    approved_by: str | None
    approved_at: datetime | None


def add_postmortem(
    session: Session,
    *,
    incident_id: int,
    markdown: str,
    content: dict[str, Any],
    status: str = "draft",
    edited_by: str | None = None,
) -> tuple[PostmortemRow, bool]:
    """Store an incident's first post-mortem (version 1); a repeat returns the stored one."""
    if status not in POSTMORTEM_STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(POSTMORTEM_STATUSES)}")
    row = PostmortemRow(
        incident_id=incident_id,
        status=status,
        version=1,
        markdown=markdown,
        content=content,
        edited_by=edited_by,
    )
    query = select(PostmortemRow).where(PostmortemRow.incident_id == incident_id)
    return _add_once(session, row, lambda: session.scalars(query).first())


def get_postmortem(
    session: Session, *, incident_id: int, lock: bool = False
) -> PostmortemRow | None:
    """The post-mortem of an incident, or None; ``lock`` holds its row until commit."""
    query = select(PostmortemRow).where(PostmortemRow.incident_id == incident_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def save_postmortem(
    session: Session,
    *,
    incident_id: int,
    expected_version: int,
    **changes: Unpack[PostmortemChanges],
) -> PostmortemRow:
    """Apply ``changes`` if the stored version is ``expected_version``; it becomes version + 1."""
    fields = PostmortemChanges.__required_keys__ | PostmortemChanges.__optional_keys__
    unknown = sorted(set(changes) - set(fields))
    if unknown:
        raise ValueError(f"cannot save postmortems: unknown fields {', '.join(unknown)}")
    if "status" in changes and changes["status"] not in POSTMORTEM_STATUSES:
        raise ValueError(
            f"status {changes['status']!r} is not one of {', '.join(POSTMORTEM_STATUSES)}"
        )
    row = get_postmortem(session, incident_id=incident_id)
    if row is None:
        raise StoreError(f"incident {incident_id} has no post-mortem to save")
    # One conditional UPDATE: of two concurrent editors of the same version, one wins.
    session.flush()
    bumped = session.connection().execute(
        update(PostmortemRow)
        .where(PostmortemRow.id == row.id, PostmortemRow.version == expected_version)
        .values(**changes, version=expected_version + 1)
    )
    if bumped.rowcount != 1:
        session.refresh(row)
        raise StalePostmortemError(
            f"the post-mortem changed since version {expected_version} "
            f"(it is at version {row.version}); re-read it and apply your edit again"
        )
    session.refresh(row)
    return row
