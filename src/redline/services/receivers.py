"""Upstream alerts (Alertmanager, PagerDuty) filed as signals and triaged like monitor signals.

An upstream "resolved" or "acknowledge" is stored and put on the incident's timeline, but
never changes the incident: redline resolves by its own exit criteria.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from redline.services.chains import record_audit, record_event
from redline.services.receiver_alerts import (
    ExternalAlert,
    ReceiverInputError,
    alerts_from_alertmanager,
    pagerduty_dedup_key,
    signal_from_pagerduty,
)
from redline.services.response import ResponsePlan
from redline.services.triage import triage_signals_in
from redline.store import (
    IncidentRow,
    Session,
    Store,
    add_incident_signals,
    add_signals,
    get_last_audit_entry,
    list_audit,
    list_incidents,
)

__all__ = ["AlertReceipt", "ReceiverInputError", "receive_alertmanager", "receive_pagerduty"]

_UPSTREAM_NOTE = "recorded only: an upstream resolve or acknowledge never changes an incident"


@dataclass(frozen=True)
class AlertReceipt:
    """What became of one upstream alert event."""

    receipt: str
    model: str
    status: str
    duplicate: bool
    signal_id: int | None = None
    incident: str | None = None


def _seen(session: Session, receipt: str) -> dict[str, Any] | None:
    """The audit details of an earlier receipt with this key, or None."""
    found = list_audit(session, target=receipt, limit=1)
    return dict(found[0].details) if found else None


def _note_upstream(
    session: Session, alert: ExternalAlert, *, actor: str, now: datetime
) -> tuple[IncidentRow | None, int | None]:
    """Store a resolve as a resolved signal; note it (or an ack) on the open incident, if any."""
    signal_id = None
    if alert.status == "resolved":
        rows = add_signals(session, signals=[alert.signal], source=alert.source, status="resolved")
        signal_id = rows[0].id
    incident = next(iter(list_incidents(session, model=alert.model, open_only=True, limit=1)), None)
    if incident is not None:
        if signal_id is not None:
            add_incident_signals(session, incident_id=incident.id, signal_ids=[signal_id])
        record_event(
            session,
            incident_id=incident.id,
            at=now,
            actor=actor,
            kind=f"upstream_{alert.status}",
            details={"receipt": alert.receipt, "signal": signal_id, "note": _UPSTREAM_NOTE},
        )
    return incident, signal_id


def _file(
    session: Session, alert: ExternalAlert, *, plan: ResponsePlan, actor: str, now: datetime
) -> AlertReceipt:
    """Store one new alert event, triage it (firing) or note it (resolved, acknowledged)."""
    if alert.status == "firing":
        rows = add_signals(session, signals=[alert.signal], source=alert.source)
        signal_id: int | None = rows[0].id
        incident = triage_signals_in(session, model=alert.model, rows=rows, now=now, plan=plan)
    else:
        incident, signal_id = _note_upstream(session, alert, actor=actor, now=now)
    key = incident.key if incident is not None else None
    details = {"model": alert.model, "status": alert.status, "signal": signal_id, "incident": key}
    record_audit(
        session,
        at=now,
        actor=actor,
        action=f"{alert.source}_alert_received",
        target=alert.receipt,
        details=details,
    )
    return AlertReceipt(alert.receipt, alert.model, alert.status, False, signal_id, key)


def _receive_in(
    session: Session,
    alerts: Sequence[ExternalAlert],
    *,
    plan: ResponsePlan,
    actor: str,
    now: datetime,
) -> list[AlertReceipt]:
    """File each alert whose receipt is new; repeats (also within one payload) change nothing."""
    filed: dict[str, AlertReceipt] = {}
    answers = []
    for alert in alerts:
        known = filed.get(alert.receipt)
        if known is None and (seen := _seen(session, alert.receipt)) is not None:
            model = str(seen.get("model") or alert.model)
            known = AlertReceipt(
                alert.receipt, model, alert.status, False, seen.get("signal"), seen.get("incident")
            )
        if known is not None:
            answers.append(replace(known, duplicate=True))
            continue
        filed[alert.receipt] = new = _file(session, alert, plan=plan, actor=actor, now=now)
        answers.append(new)
    return answers


def _lock_receipts(session: Session) -> None:
    """Serialise receivers on the audit chain, so a repeat sent at once sees the first."""
    get_last_audit_entry(session, lock=True)


def receive_alertmanager(
    store: Store,
    *,
    payload: Mapping[str, Any],
    actor: str,
    model: str | None = None,
    plan: ResponsePlan | None = None,
    now: datetime | None = None,
) -> list[AlertReceipt]:
    """File an Alertmanager webhook's alerts in one transaction; ``model`` names unlabelled ones."""
    alerts = alerts_from_alertmanager(payload, model=model)  # every alert checked before writing
    with store.session() as session:
        _lock_receipts(session)
        return _receive_in(
            session, alerts, plan=plan or ResponsePlan(), actor=actor, now=now or datetime.now(UTC)
        )


def receive_pagerduty(
    store: Store,
    *,
    event: Mapping[str, Any],
    actor: str,
    model: str | None = None,
    plan: ResponsePlan | None = None,
    now: datetime | None = None,
) -> AlertReceipt:
    """File a PagerDuty Events v2 event; a resolve or acknowledge finds its trigger's model."""
    with store.session() as session:
        _lock_receipts(session)
        known = None
        if event.get("event_action") != "trigger":
            trigger = _seen(session, f"pagerduty:{pagerduty_dedup_key(event)}:trigger")
            known = str(trigger["model"]) if trigger and trigger.get("model") else None
        alert = signal_from_pagerduty(event, model=model, known_model=known)
        (answer,) = _receive_in(
            session, [alert], plan=plan or ResponsePlan(), actor=actor, now=now or datetime.now(UTC)
        )
        return answer
