"""The people's side of a post-mortem: edit with a reason, submit, approve, request changes.

Each moves the post-mortem through ``transitions.change_postmortem_in``, so what the hook
table links to it follows (a submit starts a resolved incident's post-mortem phase)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from redline.domain.postmortem import PostmortemEvent
from redline.services.postmortems import (
    PostmortemEditError,
    PostmortemView,
    incident_by_key,
)
from redline.services.transitions import change_postmortem_in
from redline.store import Store

__all__ = [
    "approve_postmortem",
    "edit_postmortem",
    "request_postmortem_changes",
    "submit_postmortem",
]

#: Longest Markdown a person may store (the generated one is a few tens of kB).
MAX_MARKDOWN_CHARS = 1_000_000


def _move(
    store: Store,
    key: str,
    event: PostmortemEvent,
    *,
    actor: str,
    now: datetime | None,
    expected_version: int | None = None,
    details: dict[str, str | int] | None = None,
    **changes: object,
) -> PostmortemView:
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = incident_by_key(session, key)
        stored = change_postmortem_in(
            session,
            row,
            event,
            actor=actor,
            now=at,
            expected_version=expected_version,
            details=dict(details or {}),
            **changes,
        )
        return PostmortemView.of(row.key, stored)


def edit_postmortem(
    store: Store,
    *,
    key: str,
    markdown: str,
    reason: str,
    actor: str,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> PostmortemView:
    """Replace a draft's Markdown (version + 1); a stale ``expected_version`` is refused."""
    if not markdown.strip():
        raise PostmortemEditError("the edited post-mortem is empty")
    if len(markdown) > MAX_MARKDOWN_CHARS:
        raise PostmortemEditError(f"the post-mortem is longer than {MAX_MARKDOWN_CHARS} characters")
    if not reason.strip():
        raise PostmortemEditError("an edit needs a reason (--reason)")
    digest = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
    return _move(
        store,
        key,
        PostmortemEvent.EDIT,
        actor=actor,
        now=now,
        expected_version=expected_version,
        details={"reason": reason, "sha256": digest},
        markdown=markdown,
        edited_by=actor,
    )


def submit_postmortem(
    store: Store, *, key: str, actor: str, now: datetime | None = None
) -> PostmortemView:
    """Send a draft for review; a resolved incident enters its post-mortem phase."""
    return _move(store, key, PostmortemEvent.SUBMIT, actor=actor, now=now)


def approve_postmortem(
    store: Store, *, key: str, by: str, actor: str | None = None, now: datetime | None = None
) -> PostmortemView:
    """Approve a post-mortem in review, by a named person; the incident may then close."""
    name = by.strip()
    if not name or name.startswith(("system", "policy:", "token:")):
        raise PostmortemEditError("an approval needs the name of the person approving (--by)")
    person = name if name.startswith("person:") else f"person:{name}"
    at = now or datetime.now(UTC)
    return _move(
        store,
        key,
        PostmortemEvent.APPROVE,
        actor=actor or person,
        now=at,
        details={"approved_by": person},
        approved_by=person,
        approved_at=at,
    )


def request_postmortem_changes(
    store: Store, *, key: str, actor: str, reason: str, now: datetime | None = None
) -> PostmortemView:
    """Send a post-mortem in review back to draft, saying what to change."""
    if not reason.strip():
        raise PostmortemEditError("requesting changes needs a reason (--reason)")
    return _move(
        store,
        key,
        PostmortemEvent.REQUEST_CHANGES,
        actor=actor,
        now=now,
        details={"reason": reason},
    )
