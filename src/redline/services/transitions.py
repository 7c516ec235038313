"""Every status change of an incident or of its post-mortem, and what follows it.

``transition_in`` and ``change_postmortem_in`` are the one way each machine moves, whoever
asks (the system on a window, a person through the CLI, API or dashboard, the other machine's
hooks). After each move, ``run_hooks_in`` runs the effects ``domain.hooks.HOOKS`` declares for
it, one handler per effect kind, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, cast

from redline.domain import IncidentEvent, IncidentStatus, allowed_events, transition
from redline.domain.containment import is_automatic
from redline.domain.hooks import (
    ACKNOWLEDGE,
    ACKNOWLEDGED,
    Effect,
    EffectKind,
    Machine,
    effects_after,
)
from redline.domain.postmortem import (
    PostmortemEvent,
    postmortem_events_from,
    postmortem_transition,
)
from redline.domain.transitions import TransitionError
from redline.services.chains import record_audit, record_event
from redline.services.containment import record_acceptance_in
from redline.services.incident_facts import incident_facts
from redline.services.notifications import queue_notice
from redline.services.postmortems import draft_on_resolve_in, postmortem_of
from redline.store import (
    IncidentChanges,
    IncidentRow,
    PostmortemRow,
    Session,
    get_postmortem,
    list_notifications,
    save_incident,
    save_postmortem,
)

__all__ = [
    "EFFECT_HANDLERS",
    "change_postmortem_in",
    "record_acknowledgement_in",
    "run_hooks_in",
    "transition_in",
]

#: Runs one effect on an incident: (session, incident, effect, actor, now).
EffectHandler = Callable[[Session, IncidentRow, Effect, str, datetime], None]


def transition_in(
    session: Session,
    row: IncidentRow,
    event: IncidentEvent,
    *,
    actor: str,
    now: datetime,
    reason: str = "",
    exit_windows: int = 3,
    accept_containment: str = "",
) -> IncidentStatus:
    """Move an incident by ``event`` inside the caller's transaction, on the timeline; then
    run what the hook table says follows."""
    _only_a_person_accepts(row, event, actor, accept_containment)
    facts = incident_facts(
        session,
        row,
        reason=reason,
        exit_windows=exit_windows,
        accept_containment=accept_containment,
    )
    before = IncidentStatus(row.status)
    target = transition(before, event, facts, key=row.key)
    accepted = event == IncidentEvent.RESOLVE and facts.containment_in_force
    changes: dict[str, Any] = {
        "status": target,
        "postmortem_required": facts.needs_postmortem,
        "updated_at": now,
    }
    if event == IncidentEvent.RESOLVE:
        changes["resolution_reason"] = reason or f"quiet for {facts.exit_windows_quiet} windows"
    if accepted:
        changes["resolution_reason"] = (
            f"containment accepted as the new normal: {accept_containment}"
        )
        record_acceptance_in(session, row, actor=actor, now=now, reason=accept_containment)
    save_incident(session, incident_id=row.id, **changes)
    details: dict[str, Any] = {"event": event.value, "from": before.value, "to": target.value}
    details["reason"] = reason
    if accepted:
        details["accepted_containment"] = accept_containment
    record_event(session, incident_id=row.id, at=now, actor=actor, kind="status", details=details)
    action = f"incident.{event.value}"
    record_audit(session, at=now, actor=actor, action=action, target=row.key, details=details)
    run_hooks_in(session, row, Machine.INCIDENT, event, target, actor=actor, now=now)
    return target


def _only_a_person_accepts(row: IncidentRow, event: IncidentEvent, actor: str, accept: str) -> None:
    if accept.strip() and is_automatic(actor):
        raise TransitionError(
            f"only a person can accept {row.key}'s containment as the new normal ({actor} asked)",
            status=row.status,
            event=event.value,
            guard="containment_ended",
        )


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
    """Move the post-mortem by ``event``, keep the incident's ``postmortem_status`` in step;
    then run what the hook table says follows."""
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
    facts = {"event": event.value, "status": stored.status, "version": stored.version}
    facts |= details or {}
    kind = f"postmortem_{event.value}"
    record_event(session, incident_id=row.id, at=now, actor=actor, kind=kind, details=facts)
    record_audit(session, at=now, actor=actor, action=kind, target=row.key, details=facts)
    run_hooks_in(session, row, Machine.POSTMORTEM, event, target, actor=actor, now=now)
    return stored


def record_acknowledgement_in(
    session: Session, row: IncidentRow, *, actor: str, now: datetime
) -> None:
    """Run what follows a first acknowledgement (the caller recorded it)."""
    run_hooks_in(
        session, row, Machine.ACKNOWLEDGEMENT, ACKNOWLEDGE, ACKNOWLEDGED, actor=actor, now=now
    )


def run_hooks_in(
    session: Session,
    row: IncidentRow,
    machine: Machine,
    event: str,
    target: str,
    *,
    actor: str,
    now: datetime,
) -> None:
    """Run, in order, the effects that follow ``machine`` moving by ``event`` to ``target``."""
    for effect in effects_after(machine, event, target):
        EFFECT_HANDLERS[effect.kind](session, row, effect, actor, now)


def _paged_channels(session: Session, row: IncidentRow) -> list[str]:
    notes = list_notifications(session, incident_id=row.id)
    return sorted({n.channel for n in notes if n.event == "trigger"})


#: The summary of each notice a hook sends.
_SUMMARIES = {"resolve": "resolved: {title}", "acknowledge": "acknowledged by {actor}: {title}"}


def _notify_paged(
    session: Session, row: IncidentRow, effect: Effect, actor: str, now: datetime
) -> None:
    """Tell every channel that was paged about the incident; nobody paged, nothing to tell."""
    paged = _paged_channels(session, row)
    if paged:
        template = _SUMMARIES.get(effect.value, effect.value + ": {title}")
        summary = template.format(title=row.title, actor=actor)
        queue_notice(session, row, event=effect.value, channels=paged, summary=summary, now=now)


def _draft_postmortem(
    session: Session, row: IncidentRow, effect: Effect, actor: str, now: datetime
) -> None:
    draft_on_resolve_in(session, row, now=now)


def _postmortem_event(
    session: Session, row: IncidentRow, effect: Effect, actor: str, now: datetime
) -> None:
    """Move the post-mortem where its workflow allows it; none drafted, nothing to move."""
    event = PostmortemEvent(effect.value)
    existing = get_postmortem(session, incident_id=row.id)
    if existing is not None and event in postmortem_events_from(existing.status):
        change_postmortem_in(session, row, event, actor=actor, now=now)


def _incident_event(
    session: Session, row: IncidentRow, effect: Effect, actor: str, now: datetime
) -> None:
    """Move the incident where its table allows it now."""
    event = IncidentEvent(effect.value)
    if event in allowed_events(IncidentStatus(row.status), incident_facts(session, row)):
        transition_in(session, row, event, actor=actor, now=now)


def _stamp(session: Session, row: IncidentRow, effect: Effect, actor: str, now: datetime) -> None:
    save_incident(session, incident_id=row.id, **cast(IncidentChanges, {effect.value: now}))


#: One handler per effect kind.
EFFECT_HANDLERS: Mapping[EffectKind, EffectHandler] = {
    EffectKind.NOTIFY_PAGED_CHANNELS: _notify_paged,
    EffectKind.DRAFT_POSTMORTEM: _draft_postmortem,
    EffectKind.POSTMORTEM_EVENT: _postmortem_event,
    EffectKind.INCIDENT_EVENT: _incident_event,
    EffectKind.STAMP: _stamp,
}
