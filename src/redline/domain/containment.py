"""How a containment ends, what makes a model degraded, and what the system may not override.

Links between the incident machine and the action machine, declared here as data:
``EXIT_RULES`` (an incident whose exit criteria hold while its containment is in force asks
for a restore), ``RESTORE_LINKS`` (a restore's outcome moves the actions it lifted, or
itself) and ``transitions.ON_CONTAINMENT_LOST`` (a lost containment reopens the incident).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from redline.domain.actions import ACTION_SPECS, ActionStatus
from redline.domain.decision import Route, RouteState
from redline.domain.incident import IncidentStatus
from redline.domain.transitions import EXIT_CRITERIA_HELD, IncidentFacts, StatusGuard

__all__ = [
    "CLEAN_WINDOW_TYPES",
    "DEPARTURES",
    "EXIT_RULES",
    "RESTORABLE",
    "RESTORE_LINKS",
    "SUPERSEDES",
    "ExitRule",
    "ExitStep",
    "RestoreLink",
    "changed_fields",
    "departures",
    "exit_step",
    "is_automatic",
    "overridden_fields",
    "restore_fields",
    "restore_links",
]

A = ActionStatus

#: Each way a RouteState departs from plain primary serving; any one makes the model degraded.
DEPARTURES: tuple[tuple[str, Callable[[RouteState], bool]], ...] = (
    ("fallback", lambda s: s.mode is Route.FALLBACK),
    ("block", lambda s: s.mode is Route.BLOCK),
    ("review", lambda s: s.mode is Route.REVIEW or s.confidence_threshold is not None),
    ("shadow", lambda s: s.mode is Route.SHADOW or s.shadow_version is not None),
    ("input_filters", lambda s: bool(s.input_filters)),
    ("blocked_sources", lambda s: bool(s.blocked_sources)),
    ("output_patch", lambda s: s.output_patch is not None),
    ("generation_limits", lambda s: s.generation_limits is not None),
)


def departures(state: RouteState) -> tuple[str, ...]:
    """How ``state`` departs from the primary route, in ``DEPARTURES`` order (empty: primary)."""
    return tuple(name for name, departs in DEPARTURES if departs(state))


class ExitStep(StrEnum):
    """What the system does next to end an incident's containment."""

    RESTORE = "restore"


CONTAINMENT_IN_FORCE = StatusGuard(
    "containment_in_force",
    lambda f: f.containment_in_force,
    lambda f: "no containment is in force",
)
NOT_ACCEPTED = StatusGuard(
    "containment_not_accepted",
    lambda f: not f.containment_accepted.strip(),
    lambda f: "a person accepted the containment as the new normal",
)
NO_RESTORE_PENDING = StatusGuard(
    "no_restore_pending",
    lambda f: not f.restore_pending,
    lambda f: "a restore is already waiting for its verification",
)


@dataclass(frozen=True, slots=True)
class ExitRule:
    """In any of ``statuses``, when every guard holds, the system takes ``step``."""

    statuses: frozenset[IncidentStatus]
    step: ExitStep
    guards: tuple[StatusGuard, ...]


#: The system's own way out: quiet for long enough under containment → restore the primary.
EXIT_RULES: tuple[ExitRule, ...] = (
    ExitRule(
        frozenset({IncidentStatus.MONITORING}),
        ExitStep.RESTORE,
        (EXIT_CRITERIA_HELD, CONTAINMENT_IN_FORCE, NOT_ACCEPTED, NO_RESTORE_PENDING),
    ),
)


def exit_step(status: IncidentStatus, facts: IncidentFacts) -> ExitStep | None:
    """The step the first matching exit rule asks for, or None."""
    for rule in EXIT_RULES:
        if status in rule.statuses and all(g.holds(facts) for g in rule.guards):
            return rule.step
    return None


@dataclass(frozen=True, slots=True)
class RestoreLink:
    """When a restore reaches ``outcome``, ``moves`` ("lifted" actions or the "restore") go ``to``."""

    outcome: ActionStatus
    moves: Literal["lifted", "restore"]
    to: ActionStatus
    reason: str


#: What a restore's outcome does to the containment it lifted, and to itself.
RESTORE_LINKS: tuple[RestoreLink, ...] = (
    RestoreLink(
        A.VERIFIED,
        "lifted",
        A.REVERTED,
        "the primary passed its canaries and served a clean window",
    ),
    RestoreLink(
        A.FAILED,
        "restore",
        A.REVERTED,
        "the primary was not ready: the containment goes back in place",
    ),
)

#: Statuses from which a person may ask for a restore: the containment has done its job.
RESTORABLE = frozenset(
    {
        IncidentStatus.MONITORING,
        IncidentStatus.RESOLVED,
        IncidentStatus.POSTMORTEM,
        IncidentStatus.CLOSED,
    }
)

#: Actions verified only on a window without a single signal (on top of the route and canaries).
CLEAN_WINDOW_TYPES = frozenset(
    t for t, spec in ACTION_SPECS.items() if spec.verification.clean_window
)


def restore_links(outcome: ActionStatus) -> tuple[RestoreLink, ...]:
    """The links a restore reaching ``outcome`` sets off, in table order."""
    return tuple(link for link in RESTORE_LINKS if link.outcome is outcome)


def is_automatic(trigger: str) -> bool:
    """True for the system and the severity policy; people and API tokens are not automatic."""
    return trigger == "system" or trigger.startswith("policy:")


#: Changing the key field makes the listed fields moot: traffic off the primary no longer
#: passes its threshold, filters, patch or shadow; a new version voids the shadow comparison.
SUPERSEDES: dict[str, frozenset[str]] = {
    "mode": frozenset(
        {
            "confidence_threshold",
            "review_mode",
            "input_filters",
            "output_patch",
            "shadow_version",
            "model_version",
        }
    ),
    "model_version": frozenset({"shadow_version"}),
}


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> frozenset[str]:
    """RouteState fields whose values differ between two ``to_dict`` forms (not the revision)."""
    names = set(before) | set(after)
    return frozenset(
        n for n in names if n not in {"revision", "model"} and before.get(n) != after.get(n)
    )


def overridden_fields(changed: Iterable[str], manual: Iterable[str]) -> frozenset[str]:
    """The fields a person set that a change of ``changed`` would replace or make moot."""
    touched = set(changed)
    for name in list(touched):
        touched |= SUPERSEDES.get(name, frozenset())
    return frozenset(touched & set(manual))


def restore_fields(
    lifted: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], kept: Iterable[str] = ()
) -> dict[str, Any]:
    """The values that undo ``lifted`` (before, after) states, oldest first; ``kept`` stay."""
    keep = set(kept)
    out: dict[str, Any] = {}
    for before, after in reversed(lifted):  # the oldest action's "before" wins
        for name in changed_fields(before, after) - keep:
            out[name] = before.get(name)
    return out
