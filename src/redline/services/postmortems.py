"""Post-mortem use cases: draft on resolve or on demand, edit, submit, approve, request changes.

The incident's ``postmortem_status`` follows the post-mortem's own status in the same
transaction, so approving one is what lets a SEV1/SEV2 incident close.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redline.domain.postmortem import PostmortemEvent, postmortem_transition
from redline.errors import RedlineError
from redline.forensics.postmortem import build_postmortem, render_markdown
from redline.forensics.postmortem_facts import collect_incident
from redline.forensics.postmortem_html import render_postmortem_html
from redline.services.chains import record_event
from redline.services.incident_facts import IncidentNotFoundError
from redline.store import (
    IncidentRow,
    PostmortemRow,
    Session,
    Store,
    add_postmortem,
    get_incident,
    get_postmortem,
    save_incident,
    save_postmortem,
)

__all__ = [
    "PostmortemEditError",
    "PostmortemNotFoundError",
    "PostmortemView",
    "draft_on_resolve_in",
    "draft_postmortem_in",
    "generate_postmortem",
    "incident_by_key",
    "postmortem_of",
    "render_postmortem",
    "show_postmortem",
]

log = logging.getLogger("redline.services")
SYSTEM = "system"


class PostmortemNotFoundError(IncidentNotFoundError):
    """The incident has no post-mortem yet."""


class PostmortemEditError(RedlineError):
    """An edit or generation was refused: empty text, no reason, or a person's edits in the way."""


@dataclass(frozen=True)
class PostmortemView:
    """A post-mortem as callers see it."""

    key: str
    status: str
    version: int
    markdown: str
    content: dict[str, Any]
    edited_by: str | None
    approved_by: str | None
    approved_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, key: str, row: PostmortemRow) -> PostmortemView:
        """The view of a stored row."""
        return cls(
            key,
            row.status,
            row.version,
            row.markdown,
            dict(row.content),
            row.edited_by,
            row.approved_by,
            row.approved_at,
            row.updated_at,
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        at = None if self.approved_at is None else self.approved_at.isoformat()
        return {
            "key": self.key,
            "status": self.status,
            "version": self.version,
            "markdown": self.markdown,
            "content": self.content,
            "edited_by": self.edited_by,
            "approved_by": self.approved_by,
            "approved_at": at,
            "updated_at": self.updated_at.isoformat(),
        }


def incident_by_key(session: Session, key: str) -> IncidentRow:
    """The incident with this key; IncidentNotFoundError otherwise."""
    row = get_incident(session, key=key)
    if row is None:
        raise IncidentNotFoundError(f"no incident {key!r}; `redline incidents list` shows them")
    return row


def postmortem_of(session: Session, row: IncidentRow) -> PostmortemRow:
    """The incident's post-mortem; PostmortemNotFoundError when none is drafted."""
    found = get_postmortem(session, incident_id=row.id)
    if found is None:
        raise PostmortemNotFoundError(
            f"{row.key} has no post-mortem yet; `redline postmortem generate {row.key}` drafts one"
        )
    return found


def _digest(markdown: str) -> str:
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


def _build(
    session: Session, row: IncidentRow, now: datetime, playbook_text: str | None
) -> tuple[str, dict[str, Any]]:
    content = build_postmortem(
        collect_incident(session, incident=row), now=now, playbook_text=playbook_text
    )
    return render_markdown(content), content


def draft_postmortem_in(
    session: Session,
    row: IncidentRow,
    *,
    now: datetime,
    actor: str = SYSTEM,
    playbook_text: str | None = None,
    replace: bool = False,
) -> PostmortemRow:
    """Draft (or redraft) the incident's post-mortem inside the caller's transaction.

    A draft a person edited is only replaced with ``replace``; one in review or approved never.
    """
    markdown, content = _build(session, row, now, playbook_text)
    existing = get_postmortem(session, incident_id=row.id)
    if existing is None:
        stored, _ = add_postmortem(session, incident_id=row.id, markdown=markdown, content=content)
    else:
        postmortem_transition(existing.status, PostmortemEvent.REGENERATE, key=row.key)
        if existing.edited_by is not None and not replace:
            raise PostmortemEditError(
                f"the post-mortem of {row.key} was edited by {existing.edited_by}; "
                "regenerating would discard that (pass --replace to do it anyway)"
            )
        stored = save_postmortem(
            session,
            incident_id=row.id,
            expected_version=existing.version,
            markdown=markdown,
            content=content,
            edited_by=None,
        )
    save_incident(session, incident_id=row.id, postmortem_status=stored.status, updated_at=now)
    details = {"version": stored.version, "sha256": _digest(markdown)}
    record_event(
        session, incident_id=row.id, at=now, actor=actor, kind="postmortem_drafted", details=details
    )
    return stored


def draft_on_resolve_in(session: Session, row: IncidentRow, *, now: datetime) -> None:
    """The resolve hook (``draft_postmortem``): draft a required post-mortem; a failure is
    logged, never raised.

    After a reopen, an untouched draft is drafted again; one a person edited or moved on stays.
    """
    existing = get_postmortem(session, incident_id=row.id)
    touched = existing is not None and (existing.status != "draft" or existing.edited_by)
    if not row.postmortem_required or touched:
        return
    try:
        with session.begin_nested():
            draft_postmortem_in(session, row, now=now)
    except Exception:  # the window that resolved the incident must still be stored
        log.exception("could not draft the post-mortem of %s", row.key)


def generate_postmortem(
    store: Store,
    *,
    key: str,
    actor: str,
    playbook_text: str | None = None,
    replace: bool = False,
    now: datetime | None = None,
) -> PostmortemView:
    """Draft the incident's post-mortem now (one transaction)."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = incident_by_key(session, key)
        stored = draft_postmortem_in(
            session, row, now=at, actor=actor, playbook_text=playbook_text, replace=replace
        )
        return PostmortemView.of(row.key, stored)


def show_postmortem(store: Store, *, key: str) -> PostmortemView:
    """The incident's post-mortem."""
    with store.reading() as session:
        row = incident_by_key(session, key)
        return PostmortemView.of(row.key, postmortem_of(session, row))


def render_postmortem(store: Store, *, key: str, fmt: str = "md") -> str:
    """The post-mortem as Markdown (``md``) or one self-contained HTML page (``html``)."""
    if fmt not in {"md", "html"}:
        raise PostmortemEditError(f"format {fmt!r} is not one of md, html")
    view = show_postmortem(store, key=key)
    return view.markdown if fmt == "md" else render_postmortem_html(view.markdown, view.content)
