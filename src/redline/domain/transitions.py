"""The incident status machine as an ordered rule table with named guards (see INCIDENTS.md).

What follows a move (notices, the post-mortem, its review) is declared in ``hooks.HOOKS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from itertools import combinations

from redline.domain.actions import ACTION_SPECS, ActionType
from redline.domain.incident import IncidentEvent, IncidentStatus, Severity
from redline.errors import RedlineError

__all__ = [
    "CONTAINMENT_ENDED",
    "EXIT_CRITERIA_HELD",
    "ON_CONTAINMENT_LOST",
    "POSTMORTEM_ACTIONS",
    "POSTMORTEM_SEVERITIES",
    "SUPPLIED_FACTS",
    "TRANSITIONS",
    "EventOption",
    "IncidentFacts",
    "StatusGuard",
    "TransitionError",
    "TransitionRule",
    "allowed_events",
    "containment_lost_event",
    "event_options",
    "postmortem_required",
    "transition",
]

S = IncidentStatus
E = IncidentEvent

#: Severities that always need a post-mortem.
POSTMORTEM_SEVERITIES = frozenset({Severity.SEV1, Severity.SEV2})
#: Actions drastic enough that applying any of them needs a post-mortem, whatever the severity.
POSTMORTEM_ACTIONS = frozenset(t for t, spec in ACTION_SPECS.items() if spec.needs_postmortem)


class TransitionError(RedlineError):
    """A status change the rule table does not allow; the message says what is allowed."""

    def __init__(self, message: str, *, status: str, event: str, guard: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.event = event
        self.guard = guard


def postmortem_required(severity: Severity, action_types_applied: Iterable[ActionType]) -> bool:
    """True for SEV1/SEV2, or once any kill switch or rollback was applied."""
    return severity in POSTMORTEM_SEVERITIES or any(
        a in POSTMORTEM_ACTIONS for a in action_types_applied
    )


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What the guards need to know about an incident, gathered by the caller."""

    severity: Severity
    has_verified_containment: bool = False
    exit_windows_quiet: int = 0
    exit_windows_required: int = 3
    postmortem_required: bool = False
    postmortem_approved: bool = False
    reason: str = ""
    containment_in_force: bool = False
    restore_pending: bool = False
    containment_accepted: str = ""

    def __post_init__(self) -> None:
        if self.exit_windows_required < 1:
            raise ValueError("exit_windows_required must be at least 1")
        if self.exit_windows_quiet < 0:
            raise ValueError("exit_windows_quiet cannot be negative")

    @property
    def needs_postmortem(self) -> bool:
        """The caller's flag, or the severity alone requiring one."""
        return self.postmortem_required or postmortem_required(self.severity, ())


@dataclass(frozen=True, slots=True)
class StatusGuard:
    """A named condition on the facts, with the reason given when it does not hold."""

    name: str
    holds: Callable[[IncidentFacts], bool]
    failure: Callable[[IncidentFacts], str]


@dataclass(frozen=True, slots=True)
class TransitionRule:
    """FROM any of ``sources`` on ``event`` go TO ``target`` when every guard holds."""

    sources: frozenset[IncidentStatus]
    event: IncidentEvent
    target: IncidentStatus
    guards: tuple[StatusGuard, ...] = ()


VERIFIED_CONTAINMENT = StatusGuard(
    "verified_containment",
    lambda f: f.has_verified_containment,
    lambda f: "no verified containment action yet",
)
NO_CONTAINMENT_NEEDED = StatusGuard(
    "sev3_or_reason",
    lambda f: f.severity is Severity.SEV3 or bool(f.reason.strip()),
    lambda f: f"monitoring without containment needs SEV3 or a reason (this is {f.severity})",
)
EXIT_CRITERIA_HELD = StatusGuard(
    "exit_criteria_held",
    lambda f: f.exit_windows_quiet >= f.exit_windows_required,
    lambda f: f"exit criteria held for {f.exit_windows_quiet} of {f.exit_windows_required} windows",
)
CONTAINMENT_ENDED = StatusGuard(
    "containment_ended",
    lambda f: (
        not f.containment_in_force
        or (bool(f.containment_accepted.strip()) and not f.restore_pending)
    ),
    lambda f: (
        "its containment is still in force and a restore is waiting for its verification "
        "(it resolves once the primary serves a clean window; revert it to keep the containment)"
        if f.restore_pending
        else "its containment is still in force: restore the primary route (the system does "
        "once the exit criteria hold; `redline incidents restore`) or accept the containment "
        "as the new normal with a reason (--accept-containment)"
    ),
)
POSTMORTEM_APPROVED = StatusGuard(
    "postmortem_approved",
    lambda f: f.postmortem_approved,
    lambda f: "the post-mortem is not approved yet",
)
NO_POSTMORTEM_REQUIRED = StatusGuard(
    "postmortem_not_required",
    lambda f: not f.needs_postmortem,
    lambda f: (
        "a post-mortem is required (SEV1/SEV2, or a kill switch or rollback was applied); "
        "start_postmortem first"
    ),
)

#: The whole machine; for a (status, event) pair the first rule whose guards hold wins.
TRANSITIONS: tuple[TransitionRule, ...] = (
    TransitionRule(frozenset({S.TRIAGE}), E.DISMISS, S.DISMISSED),
    TransitionRule(frozenset({S.TRIAGE}), E.DECLARE, S.DECLARED),
    TransitionRule(frozenset({S.DECLARED}), E.CONTAIN, S.CONTAINED, (VERIFIED_CONTAINMENT,)),
    TransitionRule(frozenset({S.CONTAINED}), E.MONITOR, S.MONITORING),
    TransitionRule(frozenset({S.DECLARED}), E.MONITOR, S.MONITORING, (NO_CONTAINMENT_NEEDED,)),
    TransitionRule(
        frozenset({S.MONITORING}), E.RESOLVE, S.RESOLVED, (EXIT_CRITERIA_HELD, CONTAINMENT_ENDED)
    ),
    TransitionRule(frozenset({S.RESOLVED}), E.START_POSTMORTEM, S.POSTMORTEM),
    TransitionRule(frozenset({S.POSTMORTEM}), E.CLOSE, S.CLOSED, (POSTMORTEM_APPROVED,)),
    TransitionRule(frozenset({S.RESOLVED}), E.CLOSE, S.CLOSED, (NO_POSTMORTEM_REQUIRED,)),
    TransitionRule(
        frozenset({S.CONTAINED, S.MONITORING, S.RESOLVED, S.POSTMORTEM, S.CLOSED}),
        E.REOPEN,
        S.DECLARED,
    ),
)


#: What the system does on its own when a verified containment action later fails and the
#: incident has no other: a status that rested on containment goes back to declared (the
#: guard of CONTAIN no longer holds). Other statuses keep only the timeline entry.
ON_CONTAINMENT_LOST: dict[IncidentStatus, IncidentEvent] = {
    S.CONTAINED: E.REOPEN,
    S.MONITORING: E.REOPEN,
}


def containment_lost_event(status: IncidentStatus, facts: IncidentFacts) -> IncidentEvent | None:
    """The event a lost containment sends the incident by, or None (still contained, or moot)."""
    if facts.has_verified_containment:
        return None
    return ON_CONTAINMENT_LOST.get(status)


def _rules_for(status: IncidentStatus, event: IncidentEvent) -> list[TransitionRule]:
    return [r for r in TRANSITIONS if r.event is event and status in r.sources]


def _failed_guard(rule: TransitionRule, facts: IncidentFacts) -> StatusGuard | None:
    return next((g for g in rule.guards if not g.holds(facts)), None)


def allowed_events(status: IncidentStatus, facts: IncidentFacts) -> tuple[IncidentEvent, ...]:
    """The events that would succeed from ``status`` given ``facts``, in declaration order."""
    return tuple(
        e
        for e in IncidentEvent
        if any(_failed_guard(r, facts) is None for r in _rules_for(status, e))
    )


#: Facts a person supplies with the event itself, by the form field that carries each.
SUPPLIED_FACTS: dict[str, Callable[[IncidentFacts], IncidentFacts]] = {
    "reason": lambda f: replace(f, reason=f.reason.strip() or "given"),
    "accept_containment": lambda f: replace(
        f, containment_accepted=f.containment_accepted.strip() or "given"
    ),
}


@dataclass(frozen=True, slots=True)
class EventOption:
    """One event the table defines from a status: whether it would succeed as things are, the
    fields a person must fill for it to (``needs``), or why it cannot (``refusal``)."""

    event: IncidentEvent
    allowed: bool
    needs: tuple[str, ...] = ()
    refusal: str = ""

    def to_dict(self) -> dict[str, object]:
        """The option as JSON."""
        return {
            "event": self.event.value,
            "allowed": self.allowed,
            "needs": list(self.needs),
            "refusal": self.refusal,
        }


def _first_failure(rules: list[TransitionRule], facts: IncidentFacts) -> StatusGuard | None:
    """None when some rule's guards all hold, else the guard ``transition`` would name."""
    failed: StatusGuard | None = None
    for rule in rules:
        guard = _failed_guard(rule, facts)
        if guard is None:
            return None
        failed = failed or guard
    return failed


def _option(status: IncidentStatus, event: IncidentEvent, facts: IncidentFacts) -> EventOption:
    rules = _rules_for(status, event)
    failed = _first_failure(rules, facts)
    if failed is None:
        return EventOption(event, allowed=True)
    for size in range(1, len(SUPPLIED_FACTS) + 1):
        for fields in combinations(SUPPLIED_FACTS, size):
            supplied = facts
            for name in fields:
                supplied = SUPPLIED_FACTS[name](supplied)
            if _first_failure(rules, supplied) is None:
                return EventOption(event, allowed=False, needs=fields)
    return EventOption(event, allowed=False, refusal=failed.failure(facts))


def event_options(status: IncidentStatus, facts: IncidentFacts) -> tuple[EventOption, ...]:
    """Every event the table defines from ``status``, in declaration order, as an option."""
    return tuple(_option(status, e, facts) for e in IncidentEvent if _rules_for(status, e))


def transition(
    status: IncidentStatus,
    event: IncidentEvent,
    facts: IncidentFacts,
    *,
    key: str = "this incident",
) -> IncidentStatus:
    """The status ``event`` leads to from ``status``; raises TransitionError when not allowed."""
    rules = _rules_for(status, event)
    for rule in rules:
        if _failed_guard(rule, facts) is None:
            return rule.target
    failed = _first_failure(rules, facts)
    defined = ", ".join(e for e in IncidentEvent if _rules_for(status, e)) or "none"
    allowed = ", ".join(allowed_events(status, facts)) or "none"
    why = failed.failure(facts) if failed else f"no '{event}' from {status}"
    raise TransitionError(
        f"cannot {event} {key}: {why} (status {status}; events from here: {defined}; "
        f"allowed now: {allowed})",
        status=status.value,
        event=event.value,
        guard=failed.name if failed else None,
    )
