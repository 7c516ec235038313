"""From stored signals to incidents: group, classify, declare, contain; then advance on each window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from redline.domain import (
    IncidentEvent,
    IncidentStatus,
    Severity,
    Signal,
)
from redline.domain.grouping import joins, split_unrelated
from redline.domain.severity import SeverityDecision, classify
from redline.domain.transitions import TransitionError
from redline.services.chains import record_event
from redline.services.incident_facts import incident_facts
from redline.services.incident_response import respond_in
from redline.services.response import ResponsePlan
from redline.services.snoozes import drop_snoozed_in
from redline.services.transitions import transition_in
from redline.services.triage_reports import attach_triage_report_in, refresh_triage_reports_in
from redline.store import (
    OPEN_INCIDENT_STATUSES,
    IncidentRow,
    Session,
    SignalRow,
    add_incident,
    add_incident_signals,
    list_incident_signal_kinds,
    list_incidents,
    save_incident,
)

__all__ = ["advance_incidents_in", "triage_signals_in"]

GROUP_WINDOW = timedelta(minutes=30)

_CATEGORY = {
    "feature_drift": "drift",
    "prediction_drift": "drift",
    "confidence_drop": "model uncertainty",
    "latency": "infrastructure",
    "outage": "infrastructure",
    "pii_leak": "privacy",
    "canary_leak": "privacy",
    "bias": "fairness",
    "source_share": "adversarial traffic",
    "performance_drop": "performance",
    "canary_failure": "canary",
}


def _signal_time(signal: Signal, now: datetime) -> datetime:
    return signal.window_end or signal.window_start or now


def _target(session: Session, model: str, at: datetime, kinds: set[str]) -> IncidentRow | None:
    """The incident new signals of ``model`` belong to: open, or resolved moments ago, and
    holding a kind related to theirs (an unrelated kind opens an incident of its own)."""
    for row in list_incidents(session, model=model, limit=10):
        recent = row.last_signal_at is not None and at - row.last_signal_at <= GROUP_WINDOW
        live = row.status in {s.value for s in OPEN_INCIDENT_STATUSES} and (
            recent or row.status != "triage"
        )
        if not (live or (row.status == IncidentStatus.RESOLVED.value and recent)):
            continue
        held = list_incident_signal_kinds(session, incident_id=row.id)
        if joins(held, kinds):
            return row
    return None


def _title(decision: SeverityDecision, model: str) -> str:
    kinds = sorted({s.kind for s in decision.signals})
    columns = sorted({s.column for s in decision.signals if s.column})
    where = f" in {', '.join(columns[:4])}" if columns else ""
    return f"{' + '.join(k.replace('_', ' ') for k in kinds)}{where} on {model}"


def triage_signals_in(
    session: Session,
    *,
    model: str,
    rows: Sequence[SignalRow],
    now: datetime,
    plan: ResponsePlan,
) -> IncidentRow | None:
    """Attach new signals to the model's incident of related kinds or open one, per group of
    related kinds; act as the policy says. Returns the incident of the most severe group."""
    rows = drop_snoozed_in(session, rows=rows, now=now)  # snoozed ones stay stored, no more
    touched: list[tuple[int, IncidentRow]] = []
    for group in split_unrelated([r.kind for r in rows]):
        found = _triage_group(session, model, [rows[i] for i in group], now, plan)
        if found is not None:
            touched.append((Severity(found.severity).rank, found))
    return min(touched, key=lambda t: t[0])[1] if touched else None


def _triage_group(
    session: Session, model: str, rows: list[SignalRow], now: datetime, plan: ResponsePlan
) -> IncidentRow | None:
    signals = [r.to_signal() for r in rows]
    decision = classify(plan.policy, signals) if signals else None
    if decision is None:
        return None
    at = max(_signal_time(s, now) for s in signals)
    row = _target(session, model, at, {s.kind for s in signals})
    if row is None:
        row = _open(session, model, decision, at, now)
    else:
        if row.status == IncidentStatus.RESOLVED.value:
            transition_in(
                session,
                row,
                IncidentEvent.REOPEN,
                actor="system",
                now=now,
                reason="the triggering signals came back",
            )
        _escalate(session, row, decision, now)
        save_incident(session, incident_id=row.id, last_signal_at=at, updated_at=now)
    add_incident_signals(session, incident_id=row.id, signal_ids=[r.id for r in rows])
    respond_in(session, row, decision, now=now, plan=plan)
    attach_triage_report_in(session, incident=row, now=now)  # within the window it opened in
    return row


def _open(
    session: Session, model: str, decision: SeverityDecision, at: datetime, now: datetime
) -> IncidentRow:
    row = add_incident(
        session,
        model=model,
        title=_title(decision, model),
        category=_CATEGORY.get(decision.signals[0].kind, "data quality"),
        severity=decision.severity,
        policy_version=decision.policy_version,
        detected_at=now,
        first_signal_at=at,
        last_signal_at=at,
        aware_at=now,
    )
    record_event(
        session,
        incident_id=row.id,
        at=now,
        actor="system",
        kind="opened",
        details={
            "severity": decision.severity.value,
            "rules": list(decision.rules),
            "signals": [s.to_dict() for s in decision.signals[:20]],
            **_slas(decision),
        },
    )
    return row


def _slas(decision: SeverityDecision) -> dict[str, float | None]:
    """The response clocks the rules that fired set for this incident (None: no clock)."""
    return {"ack_within_s": decision.ack_within_s, "contain_within_s": decision.contain_within_s}


def _escalate(
    session: Session, row: IncidentRow, decision: SeverityDecision, now: datetime
) -> None:
    if decision.severity.rank >= Severity(row.severity).rank:
        return
    reason = f"new signals matched {', '.join(decision.rules)}"
    record_event(
        session,
        incident_id=row.id,
        at=now,
        actor=f"policy:{decision.policy_version}",
        kind="severity_changed",
        details={
            "from": row.severity,
            "to": decision.severity.value,
            "reason": reason,
            **_slas(decision),
        },
    )
    save_incident(session, incident_id=row.id, severity=decision.severity, updated_at=now)


def advance_incidents_in(
    session: Session, *, model: str, now: datetime, exit_windows: int = 3
) -> list[str]:
    """Refresh the triage reports of the model's open incidents, then move them forward where
    their guards now hold (what follows a move is the hook table's); returns the keys of those
    that moved."""
    refresh_triage_reports_in(session, model=model, now=now)
    moved = []
    for row in list_incidents(session, model=model, open_only=True, limit=50):
        for event in _next_events(IncidentStatus(row.status)):
            facts = incident_facts(session, row, exit_windows=exit_windows)
            if event == IncidentEvent.CONTAIN and not facts.has_verified_containment:
                break
            if event == IncidentEvent.RESOLVE and facts.exit_windows_quiet < exit_windows:
                break
            try:
                transition_in(
                    session, row, event, actor="system", now=now, exit_windows=exit_windows
                )
            except TransitionError:
                break
            moved.append(row.key)
    return moved


def _next_events(status: IncidentStatus) -> tuple[IncidentEvent, ...]:
    """What the system tries on its own from each status, in order."""
    return {
        IncidentStatus.DECLARED: (IncidentEvent.CONTAIN, IncidentEvent.MONITOR),
        IncidentStatus.CONTAINED: (IncidentEvent.MONITOR,),
        IncidentStatus.MONITORING: (IncidentEvent.RESOLVE,),
    }.get(status, ())
