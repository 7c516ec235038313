"""Triage reports: computed from the stored windows when an incident opens or grows and on every
window while it is open, stored append-only (a row per window), the newest read back for the CLI
and API."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redline.forensics.report import build_triage_report
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.chains import record_event
from redline.services.incidents import IncidentNotFoundError
from redline.services.view_types import View
from redline.services.views import require_incident
from redline.store import (
    IncidentRow,
    Session,
    SignalRow,
    Store,
    TriageReportRow,
    WindowRow,
    add_triage_report,
    get_latest_reference,
    get_latest_triage_report,
    get_window,
    list_incident_signals,
    list_incidents,
    list_triage_reports,
    list_windows,
    list_windows_before,
)

__all__ = [
    "BASELINE_WINDOWS",
    "CONFIDENCE_STEP",
    "TriageReportNotFoundError",
    "TriageReportView",
    "attach_triage_report_in",
    "get_triage_report",
    "incident_start",
    "incident_windows",
    "refresh_triage_reports_in",
    "stored_reference",
]

log = logging.getLogger("redline.services")

#: A report whose cause changes or whose confidence moves by at least this much is a new verdict:
#: it goes on the timeline, and a second report of one window is stored only then.
CONFIDENCE_STEP = 0.15
#: How far back windows are read: triage looks at the day before the incident's first window.
LOOKBACK = timedelta(days=1)
EARLIER_WINDOWS = 24
#: Windows may close a little after the clock that reads them (another Guard's clock).
_LATE = timedelta(seconds=1)
#: Windows that stand in for "before" when an incident opened on the model's first window.
BASELINE_WINDOWS = 3


class TriageReportNotFoundError(IncidentNotFoundError):
    """The incident has no triage report yet (answered like a missing incident: 404)."""


@dataclass(frozen=True)
class TriageReportView(View):
    """The newest triage report of an incident."""

    incident: str
    model: str
    likely_cause: str
    confidence: float
    window_id: str | None
    created_at: datetime
    reports: int
    report: dict[str, Any]


def stored_reference(session: Session, *, model: str, reference_hash: str) -> Reference | None:
    """The model's stored reference when the windows were profiled on it, else None."""
    row = get_latest_reference(session, model=model)
    if row is None or row.content_hash != reference_hash:
        return None
    return Reference.from_dict(row.payload)


def _first_window(session: Session, signals: Sequence[SignalRow]) -> WindowRow | None:
    ids = [s.window_id for s in sorted(signals, key=lambda s: s.id) if s.window_id]
    return get_window(session, window_id=ids[0]) if ids else None


def incident_start(session: Session, *, incident: IncidentRow, default: datetime) -> datetime:
    """Start of the incident's first window (``default`` when its signals name none)."""
    first = _first_window(session, list_incident_signals(session, incident_id=incident.id))
    return first.start if first is not None else default


def incident_windows(
    session: Session, *, incident: IncidentRow, until: WindowRow
) -> tuple[list[WindowProfile], int]:
    """The model's windows from a day before the incident's first one up to ``until``, oldest
    first, and the index of the incident's first window in that list."""
    start = incident_start(session, incident=incident, default=until.start)
    rows = list_windows(session, model=incident.model, since=start - LOOKBACK, limit=10_000)
    rows = [r for r in rows if r.start <= until.start]
    index = next((i for i, r in enumerate(rows) if r.start >= start), len(rows) - 1)
    return [WindowProfile.from_dict(r.payload) for r in rows], max(index, 0)


def _triage_windows(
    session: Session, incident: IncidentRow, current: WindowRow
) -> tuple[list[WindowProfile], WindowProfile]:
    """The windows before the incident's first one (at most a day's, the last few) and ``current``."""
    start = incident_start(session, incident=incident, default=current.start)
    rows = list_windows_before(session, model=incident.model, before=start, limit=EARLIER_WINDOWS)
    earlier = [r for r in rows if r.start >= start - LOOKBACK]
    if not earlier:  # opened on its first window: the model's earliest windows stand in
        since = current.start - LOOKBACK
        first = list_windows(session, model=incident.model, since=since, limit=BASELINE_WINDOWS)
        earlier = [r for r in first if r.start < current.start]
    return [WindowProfile.from_dict(r.payload) for r in earlier], WindowProfile.from_dict(
        current.payload
    )


def _current_window(
    session: Session, signals: Sequence[SignalRow], window_id: str | None
) -> WindowRow | None:
    if window_id is None:
        ids = [s.window_id for s in sorted(signals, key=lambda s: s.id) if s.window_id]
        window_id = ids[-1] if ids else None
    return None if window_id is None else get_window(session, window_id=window_id)


def _changed(previous: TriageReportRow | None, cause: str, confidence: float) -> bool:
    """Whether the verdict differs materially from the previous report's (or there is none)."""
    if previous is None:
        return True
    moved = abs(previous.confidence - confidence) >= CONFIDENCE_STEP
    return previous.likely_cause != cause or moved


def attach_triage_report_in(
    session: Session, *, incident: IncidentRow, now: datetime, window_id: str | None = None
) -> TriageReportRow | None:
    """Compute the incident's triage report on its latest window (or ``window_id``); store it
    when it is the first on that window or its verdict changed (then also on the timeline)."""
    signal_rows = list_incident_signals(session, incident_id=incident.id)
    current = _current_window(session, signal_rows, window_id)
    if current is None:
        return None
    try:  # a report must never block the incident it diagnoses, whatever a payload holds
        earlier, window = _triage_windows(session, incident, current)
        reference = stored_reference(
            session, model=incident.model, reference_hash=window.reference_hash
        )
        report = build_triage_report(
            reference=reference,
            window=window,
            earlier=earlier,
            signals=[s.to_signal() for s in signal_rows],
        )
    except Exception:
        log.exception("triage report of %s failed", incident.key)
        return None
    verdict = report.verdict
    previous = get_latest_triage_report(session, incident_id=incident.id)
    changed = _changed(previous, verdict.cause.value, verdict.confidence)
    if previous is not None and previous.window_id == current.id and not changed:
        return None
    body = report.to_dict()
    body["reference"] = "stored" if reference is not None else "not stored for these windows"
    row = add_triage_report(
        session,
        incident_id=incident.id,
        window_id=current.id,
        likely_cause=verdict.cause.value,
        confidence=verdict.confidence,
        report=body,
        created_at=now,
    )
    if not changed:  # the timeline records verdicts; the table keeps every window's report
        return row
    details = {**verdict.to_dict(), "window_id": current.id, "report_id": row.id}
    details.pop("scores")
    record_event(
        session,
        incident_id=incident.id,
        at=now,
        actor="system",
        kind="triage_report",
        details=details,
    )
    return row


def refresh_triage_reports_in(session: Session, *, model: str, now: datetime) -> int:
    """Triage every open incident of ``model`` on its newest window; returns reports stored."""
    incidents = list_incidents(session, model=model, open_only=True, limit=50)
    if not incidents:  # the common case: no window (and its payload) need be read
        return 0
    latest = list_windows_before(session, model=model, before=now + _LATE, limit=1)
    if not latest:
        return 0
    stored = 0
    for incident in incidents:
        opened = incident.first_signal_at
        if opened is not None and latest[0].end < opened:
            continue  # a window older than the incident cannot describe it
        previous = get_latest_triage_report(session, incident_id=incident.id)
        if previous is not None and previous.window_id == latest[0].id:
            continue  # this window's report is stored; new signals re-triage it themselves
        row = attach_triage_report_in(session, incident=incident, now=now, window_id=latest[0].id)
        stored += row is not None
    return stored


def get_triage_report(store: Store, *, key: str) -> TriageReportView:
    """The newest triage report of incident ``key``; raises TriageReportNotFoundError."""
    with store.reading() as session:
        incident = require_incident(session, key=key)
        row = get_latest_triage_report(session, incident_id=incident.id)
        if row is None:
            raise TriageReportNotFoundError(
                f"incident {key!r} has no triage report yet; one is attached within a window "
                "of the incident opening"
            )
        count = len(list_triage_reports(session, incident_id=incident.id))
        return TriageReportView(
            incident=incident.key,
            model=incident.model,
            likely_cause=row.likely_cause,
            confidence=row.confidence,
            window_id=row.window_id,
            created_at=row.created_at,
            reports=count,
            report=dict(row.report),
        )
