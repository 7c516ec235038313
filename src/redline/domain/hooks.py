"""What follows a transition: the links between the state machines, declared as data.

Each hook says: after ``machine`` moves by ``event`` (or reaches the status ``to``), these
effects follow, in order. Effects are names and values; ``services.transitions`` runs each
with one handler per kind, in the transaction that made the change, whoever asked for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from redline.domain.incident import IncidentEvent, IncidentStatus
from redline.domain.postmortem import PostmortemEvent, PostmortemStatus

__all__ = [
    "ACKNOWLEDGE",
    "ACKNOWLEDGED",
    "HOOKS",
    "STAMP_FIELDS",
    "VOCABULARY",
    "Effect",
    "EffectKind",
    "Hook",
    "Machine",
    "draft_postmortem",
    "effects_after",
    "incident_event",
    "notify_paged_channels",
    "postmortem_event",
    "stamp",
]


class Machine(StrEnum):
    """The state machines whose moves may have follow-on effects."""

    INCIDENT = "incident"  # transitions.TRANSITIONS
    POSTMORTEM = "postmortem"  # postmortem.POSTMORTEM_RULES
    ACKNOWLEDGEMENT = "acknowledgement"  # unacknowledged → acknowledged, once


#: The acknowledgement's one event and the status it reaches.
ACKNOWLEDGE, ACKNOWLEDGED = "acknowledge", "acknowledged"

#: The events and statuses of each machine, as a hook may name them.
VOCABULARY: Mapping[Machine, tuple[frozenset[str], frozenset[str]]] = {
    Machine.INCIDENT: (frozenset(IncidentEvent), frozenset(IncidentStatus)),
    Machine.POSTMORTEM: (frozenset(PostmortemEvent), frozenset(PostmortemStatus)),
    Machine.ACKNOWLEDGEMENT: (frozenset({ACKNOWLEDGE}), frozenset({ACKNOWLEDGED})),
}

#: The incident times a stamp may set: each dates a status and stops its response clock.
STAMP_FIELDS = frozenset({"contained_at", "resolved_at", "closed_at"})


class EffectKind(StrEnum):
    """What may follow a transition; ``Effect.value`` says which one."""

    #: Queue a notice (value: trigger, acknowledge or resolve) to every channel that was paged.
    NOTIFY_PAGED_CHANNELS = "notify_paged_channels"
    #: Draft the incident's post-mortem when one is required and nobody has touched it.
    DRAFT_POSTMORTEM = "draft_postmortem"
    #: Move the post-mortem by an event, when its workflow allows it from where it stands.
    POSTMORTEM_EVENT = "postmortem_event"
    #: Move the incident by an event, when its table allows it now.
    INCIDENT_EVENT = "incident_event"
    #: Set an incident time (value: one of ``STAMP_FIELDS``) to the time of the transition.
    STAMP = "stamp"


@dataclass(frozen=True, slots=True)
class Effect:
    """One named follow-on effect and its value."""

    kind: EffectKind
    value: str = ""

    def __str__(self) -> str:
        return f"{self.kind.value}({self.value})"


def notify_paged_channels(event: str) -> Effect:
    """Tell every channel paged about the incident (``event``: acknowledge or resolve)."""
    return Effect(EffectKind.NOTIFY_PAGED_CHANNELS, event)


def draft_postmortem() -> Effect:
    """Draft a required post-mortem that nobody has edited or moved on."""
    return Effect(EffectKind.DRAFT_POSTMORTEM)


def postmortem_event(event: PostmortemEvent) -> Effect:
    """Move the incident's post-mortem by ``event`` where its workflow allows it."""
    return Effect(EffectKind.POSTMORTEM_EVENT, event.value)


def incident_event(event: IncidentEvent) -> Effect:
    """Move the incident by ``event`` where its table allows it."""
    return Effect(EffectKind.INCIDENT_EVENT, event.value)


def stamp(field: str) -> Effect:
    """Set the incident time ``field`` to the time of the transition."""
    if field not in STAMP_FIELDS:
        raise ValueError(f"{field!r} is not one of {', '.join(sorted(STAMP_FIELDS))}")
    return Effect(EffectKind.STAMP, field)


@dataclass(frozen=True, slots=True)
class Hook:
    """After ``machine`` moves by ``event``, or reaches ``to``, ``effects`` follow in order."""

    machine: Machine
    effects: tuple[Effect, ...]
    event: str | None = None
    to: str | None = None

    def __post_init__(self) -> None:
        if (self.event is None) == (self.to is None):
            raise ValueError("a hook names exactly one of an event or a status reached (to)")

    def matches(self, machine: Machine, event: str, target: str) -> bool:
        """True when this hook follows ``machine`` moving by ``event`` to ``target``."""
        if machine is not self.machine:
            return False
        return event == self.event if self.event is not None else target == self.to


_I, _S, _V = IncidentEvent, IncidentStatus, PostmortemEvent

#: Every link between the machines; the hooks that match a move run in this order.
HOOKS: tuple[Hook, ...] = (
    # Reaching a status dates it; contained_at also stops the containment clock.
    Hook(Machine.INCIDENT, (stamp("contained_at"),), to=_S.CONTAINED),
    Hook(Machine.INCIDENT, (stamp("resolved_at"),), to=_S.RESOLVED),
    Hook(Machine.INCIDENT, (stamp("closed_at"),), to=_S.CLOSED),
    # Whoever resolves (the system on quiet windows, or a person): the channels paged about the
    # incident hear it, and a required post-mortem is drafted.
    Hook(
        Machine.INCIDENT,
        (notify_paged_channels("resolve"), draft_postmortem()),
        event=_I.RESOLVE,
    ),
    # A recurrence is not covered by what was reviewed: the post-mortem goes back to draft.
    Hook(Machine.INCIDENT, (postmortem_event(_V.INCIDENT_REOPENED),), event=_I.REOPEN),
    # Submitting the post-mortem of a resolved incident starts its post-mortem phase.
    Hook(Machine.POSTMORTEM, (incident_event(_I.START_POSTMORTEM),), event=_V.SUBMIT),
    # Once someone owns the incident, paging services stop escalating it.
    Hook(Machine.ACKNOWLEDGEMENT, (notify_paged_channels("acknowledge"),), event=ACKNOWLEDGE),
)


def effects_after(
    machine: Machine, event: str, target: str, hooks: tuple[Hook, ...] = HOOKS
) -> tuple[Effect, ...]:
    """The effects that follow ``machine`` moving by ``event`` to ``target``, in table order."""
    return tuple(e for h in hooks if h.matches(machine, event, target) for e in h.effects)
