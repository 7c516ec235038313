"""Response SLAs the control loop watches: SEV1/SEV2 incidents acknowledged and contained in time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from redline.domain import IncidentStatus, Severity
from redline.domain.severity import SeverityPolicy, SeverityRule
from redline.services.chains import record_event
from redline.services.ingest import model_lock
from redline.services.notifications import queue_notice
from redline.services.response import ResponsePlan
from redline.store import (
    OPEN_INCIDENT_STATUSES,
    IncidentRow,
    Store,
    TimelineEventRow,
    get_incident,
    list_incidents,
    list_timeline,
    try_lock,
)

__all__ = [
    "ACK_SLA",
    "CONTAIN_ESCALATION_KIND",
    "CONTAIN_SLA",
    "ESCALATION_KIND",
    "Sla",
    "ack_slas",
    "escalate_overdue",
    "escalate_unacknowledged",
    "escalate_uncontained",
    "sla_limits",
]

#: The timeline event of an incident nobody acknowledged in time; written once per incident.
ESCALATION_KIND = "ack_sla_breached"
#: The timeline event of an incident not contained in time; written once per incident.
CONTAIN_ESCALATION_KIND = "contain_sla_breached"
#: Severities whose clocks are watched (SEV3 is log and watch: nobody is paged).
WATCHED = frozenset({Severity.SEV1, Severity.SEV2})
MAX_OPEN = 1000


@dataclass(frozen=True)
class Sla:
    """A response clock: the rule's limit, the incident time that stops it, what breaching says."""

    kind: str
    stopped_by: str
    field: str
    missed: str

    def limit(self, rule: SeverityRule) -> float | None:
        """The seconds ``rule`` allows, or None when it sets no limit."""
        value: float | None = getattr(rule, self.field)
        return value


ACK_SLA = Sla(ESCALATION_KIND, "acknowledged_at", "ack_within_s", "acknowledged")
CONTAIN_SLA = Sla(CONTAIN_ESCALATION_KIND, "contained_at", "contain_within_s", "contained")


def sla_limits(policy: SeverityPolicy, sla: Sla) -> dict[Severity, float]:
    """Seconds each watched severity has under ``sla`` (the strictest rule's)."""
    limits: dict[Severity, float] = {}
    for rule in policy.rules:
        within = sla.limit(rule)
        if rule.severity in WATCHED and within is not None:
            limits[rule.severity] = min(limits.get(rule.severity, math.inf), within)
    return limits


def ack_slas(policy: SeverityPolicy) -> dict[Severity, float]:
    """Seconds within which each watched severity must be acknowledged (the strictest rule)."""
    return sla_limits(policy, ACK_SLA)


def _overdue(row: IncidentRow, sla: Sla, limits: dict[Severity, float], now: datetime) -> bool:
    limit = limits.get(Severity(row.severity))
    return (
        limit is not None
        and getattr(row, sla.stopped_by) is None
        and now - row.detected_at > timedelta(seconds=limit)
    )


def _clock_set(
    timeline: Sequence[TimelineEventRow], sla: Sla, limit: float, row: IncidentRow, now: datetime
) -> bool:
    """Whether the incident's own clock for ``sla`` ran out.

    The rules that opened (or last raised) the incident record their clocks on the timeline:
    an incident whose rules asked for no containment (drift under investigation) has no
    containment clock. Incidents recorded before clocks were kept fall back to ``limit``.
    """
    stated = [e.details for e in timeline if e.kind in _CLOCK_EVENTS and sla.field in e.details]
    if stated:
        within = stated[-1][sla.field]
        return within is not None and now - row.detected_at > timedelta(seconds=float(within))
    return now - row.detected_at > timedelta(seconds=limit)


#: The timeline events that carry an incident's response clocks.
_CLOCK_EVENTS = frozenset({"opened", "severity_changed"})


def escalate_overdue(store: Store, *, plan: ResponsePlan, now: datetime, sla: Sla) -> list[str]:
    """Escalate, once each, open SEV1/SEV2 incidents that missed ``sla``; returns their keys.

    Escalating writes one ``sla.kind`` timeline event and queues one ``trigger`` notice to
    the severity's paged channels (every channel when none is paged at it).
    """
    limits = sla_limits(plan.policy, sla)
    if not limits:
        return []
    with store.session() as session:
        candidates = list_incidents(session, open_only=True, limit=MAX_OPEN)
    escalated = []
    for candidate in (c for c in candidates if _overdue(c, sla, limits, now)):
        with store.session() as session:
            if not try_lock(session, name=model_lock(candidate.model)):
                continue  # another worker holds the model; the next tick looks again
            row = get_incident(session, incident_id=candidate.id)
            if row is None or IncidentStatus(row.status) not in OPEN_INCIDENT_STATUSES:
                continue
            if not _overdue(row, sla, limits, now):
                continue
            timeline = list_timeline(session, incident_id=row.id)
            if any(e.kind == sla.kind for e in timeline):
                continue
            if not _clock_set(timeline, sla, limits[Severity(row.severity)], row, now):
                continue
            severity = Severity(row.severity)
            channels = plan.paged.get(severity) or tuple(plan.channels)
            details = {
                "severity": severity.value,
                sla.field: limits[severity],
                "detected_at": row.detected_at.isoformat(),
                "channels": list(channels),
            }
            record_event(
                session, incident_id=row.id, at=now, actor="system", kind=sla.kind, details=details
            )
            if channels:
                summary = f"not {sla.missed} within {limits[severity] / 60:g} min: {row.title}"
                queue_notice(
                    session, row, event="trigger", channels=channels, summary=summary, now=now
                )
            escalated.append(row.key)
    return escalated


def escalate_unacknowledged(store: Store, *, plan: ResponsePlan, now: datetime) -> list[str]:
    """Escalate, once each, open SEV1/SEV2 incidents not acknowledged within their SLA."""
    return escalate_overdue(store, plan=plan, now=now, sla=ACK_SLA)


def escalate_uncontained(store: Store, *, plan: ResponsePlan, now: datetime) -> list[str]:
    """Escalate, once each, open SEV1/SEV2 incidents not contained within their SLA."""
    return escalate_overdue(store, plan=plan, now=now, sla=CONTAIN_SLA)
