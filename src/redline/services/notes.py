"""Notes: what a responder writes on an incident's timeline (kind "note"), audited too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redline.errors import RedlineError
from redline.services.chains import record_audit, record_event
from redline.services.views import require_incident
from redline.store import Store

__all__ = ["MAX_NOTE_CHARS", "NOTE_KIND", "Note", "NoteError", "add_note"]

NOTE_KIND = "note"
MAX_NOTE_CHARS = 10_000


class NoteError(RedlineError):
    """A note without text, or too long, or without an author."""


@dataclass(frozen=True, slots=True)
class Note:
    """A note as written on the timeline."""

    incident_key: str
    actor: str
    at: datetime
    text: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return {
            "incident_key": self.incident_key,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "text": self.text,
            "hash": self.hash,
        }


def add_note(store: Store, *, key: str, text: str, actor: str, now: datetime | None = None) -> Note:
    """Append a note to the incident's timeline and the audit log (one transaction)."""
    body = text.strip()
    if not body:
        raise NoteError("a note needs some text")
    if len(body) > MAX_NOTE_CHARS:
        raise NoteError(f"a note holds at most {MAX_NOTE_CHARS} characters, not {len(body)}")
    if not actor.strip():
        raise NoteError("say who writes the note (actor)")
    at = now or datetime.now(UTC)
    with store.session() as session:
        row = require_incident(session, key=key)
        details = {"text": body}
        digest = record_event(
            session, incident_id=row.id, at=at, actor=actor, kind=NOTE_KIND, details=details
        )
        record_audit(
            session, at=at, actor=actor, action="incident.note", target=row.key, details=details
        )
        return Note(row.key, actor, at, body, digest)
