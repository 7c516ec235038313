"""The people's side of a post-mortem: edit with a reason, submit, approve, request changes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from redline.domain import IncidentEvent, IncidentStatus
from redline.forensics.postmortem_workflow import PostmortemEvent, postmortem_transition
from redline.services.chains import record_audit, record_event
from redline.services.incidents import transition_in
from redline.services.postmortems import (
    PostmortemEditError,
    PostmortemView,
    incident_by_key,
    postmortem_of,
)
from redline.store import IncidentRow, PostmortemRow, Session, Store, save_incident, save_postmortem

__all__ = [
    "approve_postmortem",
    "change_postmortem_in",
    "edit_postmortem",
    "request_postmortem_changes",
    "submit_postmortem",
]

#: Longest Markdown a person may store (the generated one is a few tens of kB).
MAX_MARKDOWN_CHARS = 1_000_000


def _start_postmortem(session: Session, row: IncidentRow, actor: str, now: datetime) -> None:
    """A resolved incident enters its post-mortem phase when the review starts."""
    if row.status == IncidentStatus.RESOLVED.value:
        transition_in(session, row, IncidentEvent.START_POSTMORTEM, actor=actor, now=now)


def change_postmortem_in(
    session: Session,
    row: IncidentRow,
    event: PostmortemEvent,
    *,
    actor: str,
    now: datetime,
    expected_version: int | None = None,
    details: dict[str, Any] | None = None,
    **changes: Any,
) -> PostmortemRow:
    """Move the post-mortem by ``event`` and keep the incident's ``postmortem_status`` in step."""
    current = postmortem_of(session, row)
    target = postmortem_transition(current.status, event, key=row.key)
    stored = save_postmortem(
        session,
        incident_id=row.id,
        expected_version=current.version if expected_version is None else expected_version,
        status=target.value,
        **changes,
    )
    save_incident(session, incident_id=row.id, postmortem_status=stored.status, updated_at=now)
    if event == PostmortemEvent.SUBMIT:
        _start_postmortem(session, row, actor, now)
    facts = {"event": event.value, "status": stored.status, "version": stored.version}
    facts |= details or {}
    kind = f"postmortem_{event.value}"
    record_event(session, incident_id=row.id, at=now, actor=actor, kind=kind, details=facts)
    record_audit(session, at=now, actor=actor, action=kind, target=row.key, details=facts)
    return stored


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
