"""Incident vocabulary: severities, statuses and the events that move an incident."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["IncidentEvent", "IncidentStatus", "Severity"]


class Severity(StrEnum):
    """How bad an incident is (SEV1 is the worst)."""

    SEV1 = "SEV1"
    SEV2 = "SEV2"
    SEV3 = "SEV3"

    @property
    def rank(self) -> int:
        """1 for SEV1, 3 for SEV3: smaller is worse."""
        return int(self.value[-1])


class IncidentStatus(StrEnum):
    """Where an incident stands."""

    TRIAGE = "triage"
    DISMISSED = "dismissed"
    DECLARED = "declared"
    CONTAINED = "contained"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"
    CLOSED = "closed"


class IncidentEvent(StrEnum):
    """What can happen to an incident; the transition table says where each leads."""

    DECLARE = "declare"
    DISMISS = "dismiss"
    CONTAIN = "contain"
    MONITOR = "monitor"
    RESOLVE = "resolve"
    START_POSTMORTEM = "start_postmortem"
    CLOSE = "close"
    REOPEN = "reopen"
