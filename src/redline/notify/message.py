"""What redline tells the outside world about an incident: one channel-neutral notice."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from redline.domain import IncidentStatus, Severity
from redline.errors import RedlineError

__all__ = ["IncidentNotice", "NoticeError", "NoticeEvent", "truncate"]


class NoticeError(RedlineError, ValueError):
    """A notice is malformed: an unknown event, severity or status, or a naive time."""


class NoticeEvent(StrEnum):
    """What happened to the incident, in the PagerDuty Events v2 vocabulary."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True, kw_only=True)
class IncidentNotice:
    """One incident change to announce; every channel renders it in its own format."""

    key: str
    title: str
    model: str
    severity: Severity
    status: IncidentStatus
    event: NoticeEvent
    summary: str
    at: datetime
    url: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Values often arrive as plain strings (JSON, settings); coerce once, fail loudly here.
        try:
            object.__setattr__(self, "severity", Severity(self.severity))
            object.__setattr__(self, "status", IncidentStatus(self.status))
            object.__setattr__(self, "event", NoticeEvent(self.event))
        except ValueError as exc:
            raise NoticeError(f"Notice {self.key!r}: {exc}.") from None
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise NoticeError(
                f"Notice {self.key!r}: 'at' must be timezone-aware; pass datetime.now(UTC)."
            )
        object.__setattr__(self, "details", dict(self.details))

    @property
    def headline(self) -> str:
        """A one-line label: ``[SEV1] RL-2026-0042 Title``."""
        return f"[{self.severity}] {self.key} {self.title}"

    @property
    def at_utc(self) -> datetime:
        """The notice time converted to UTC."""
        return self.at.astimezone(UTC)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form; times as ISO 8601 in UTC."""
        return {
            "key": self.key,
            "title": self.title,
            "model": self.model,
            "severity": self.severity.value,
            "status": self.status.value,
            "event": self.event.value,
            "summary": self.summary,
            "url": self.url,
            "details": dict(self.details),
            "at": self.at_utc.isoformat(),
        }


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"
