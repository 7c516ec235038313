"""What the incident page shows of its forensics, from stored rows only: snapshots, the latest
triage report, the post-mortem's review state and the reportability clocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.api.context import ApiContext
from redline.forensics.assessment import NOT_LEGAL_ADVICE, regulatory_clocks
from redline.services.postmortems import PostmortemNotFoundError, show_postmortem
from redline.services.snapshots import list_snapshot_views
from redline.services.triage_reports import TriageReportNotFoundError, get_triage_report

__all__ = [
    "RANKED_ROWS",
    "SNAPSHOTS_SHOWN",
    "ClockRow",
    "TriageSummary",
    "clock_rows",
    "duration",
    "forensic_values",
    "triage_summary",
]

#: The newest snapshots the page lists, and the rows of each ranked triage table.
SNAPSHOTS_SHOWN = 10
RANKED_ROWS = 5


def duration(seconds: float) -> str:
    """A span as people read a deadline: ``3d 4h``, ``5h 12m``, ``42m``, ``30s``."""
    left = int(abs(seconds))
    days, hours, minutes = left // 86_400, left % 86_400 // 3_600, left % 3_600 // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m" if minutes else f"{left}s"


@dataclass(frozen=True, slots=True)
class ClockRow:
    """One Art. 73 clock as the page shows it."""

    name: str
    days: int
    applies_when: str
    deadline: datetime | None
    left: str
    overdue: bool | None


def clock_rows(aware_at: datetime | None, *, now: datetime) -> list[ClockRow]:
    """The 15 / 2 / 10-day clocks from ``aware_at``: deadline and time left (unknown without it)."""
    rows = []
    for clock in regulatory_clocks(aware_at, now=now):
        seconds = clock["seconds_left"]
        if seconds is None:
            left = "unknown: the time of awareness (aware_at) is not recorded"
        else:
            left = f"overdue by {duration(seconds)}" if seconds < 0 else f"{duration(seconds)} left"
        deadline = clock["deadline"]
        rows.append(
            ClockRow(
                name=str(clock["clock"]).replace("_", " "),
                days=int(clock["days"]),
                applies_when=str(clock["applies_when"]),
                deadline=None if deadline is None else datetime.fromisoformat(deadline),
                left=left,
                overdue=clock["overdue"],
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class TriageSummary:
    """The parts of a stored triage report the page shows (missing sections read as empty)."""

    cause: str
    confidence: float
    rule: str
    evidence: list[str]
    created_at: datetime
    reports: int
    basis: str
    features: list[Mapping[str, Any]]
    sources: list[Mapping[str, Any]]
    segments: list[Mapping[str, Any]]
    checks: Mapping[str, Any]
    ood: Mapping[str, Any]


def _section(report: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    found = report.get(name)
    return found if isinstance(found, Mapping) else {}


def triage_summary(
    report: Mapping[str, Any], *, cause: str, confidence: float, created_at: datetime, reports: int
) -> TriageSummary:
    """The page's reading of a stored report: cause and evidence, top rows of each ranking."""
    verdict = _section(report, "likely_cause")
    isolation = _section(report, "input_isolation")
    stats = _section(report, "statistical_forensics")

    def ranked(name: str) -> list[Mapping[str, Any]]:
        return list(isolation.get(name) or [])[:RANKED_ROWS]

    return TriageSummary(
        cause=cause,
        confidence=confidence,
        rule=str(verdict.get("rule", "—")),
        evidence=[str(e) for e in verdict.get("evidence") or []],
        created_at=created_at,
        reports=reports,
        basis=str(isolation.get("basis", "")),
        features=ranked("features"),
        sources=ranked("sources"),
        segments=ranked("segments"),
        checks=_section(report, "pipeline_checks"),
        ood=_section(stats, "out_of_distribution"),
    )


def forensic_values(
    context: ApiContext, *, key: str, aware_at: datetime | None, now: datetime
) -> dict[str, Any]:
    """Everything the incident page's forensics show, read from what is stored (none recomputed)."""
    store = context.store
    try:
        found = get_triage_report(store, key=key)
        triage = triage_summary(
            found.report,
            cause=found.likely_cause,
            confidence=found.confidence,
            created_at=found.created_at,
            reports=found.reports,
        )
    except TriageReportNotFoundError:
        triage = None
    try:
        postmortem = show_postmortem(store, key=key)
    except PostmortemNotFoundError:
        postmortem = None
    return {
        "snapshots": list_snapshot_views(store, incident_key=key, limit=SNAPSHOTS_SHOWN),
        "triage": triage,
        "postmortem": postmortem,
        "clocks": clock_rows(aware_at, now=now),
        "not_legal_advice": NOT_LEGAL_ADVICE,
    }
