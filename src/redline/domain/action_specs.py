"""What one action type is, as a row of data: its effect, verification, revert and parameters.

The registry of rows, ``actions.ACTION_SPECS``, is the one place that knows each action type.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from redline.domain.action_effects import (
    NO_DEPLOYMENTS,
    DeploymentFacts,
    Effect,
    EffectError,
    undo_changes,
)
from redline.domain.decision import Route, RouteState
from redline.domain.route_rules import MAX_TEMPERATURE
from redline.errors import RedlineError

__all__ = [
    "ActionParamError",
    "ActionSpec",
    "ParamRule",
    "Verification",
    "number",
    "temperature",
    "unit_interval",
    "whole_number",
]


class ActionParamError(RedlineError, ValueError):
    """A containment action parameter is missing, of the wrong type or out of range."""


def number(action: str, name: str, value: Any) -> float:
    """``value`` as a finite float; raises :class:`ActionParamError` naming ``action.name``."""
    if isinstance(value, bool):
        raise ActionParamError(f"{action}: {name} must be a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ActionParamError(f"{action}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(out):
        raise ActionParamError(f"{action}: {name} must be a finite number, got {value!r}")
    return out


def unit_interval(action: str, name: str, value: Any) -> float:
    """``value`` as a float in [0, 1] (a minimum confidence)."""
    out = number(action, name, value)
    if not 0.0 <= out <= 1.0:
        raise ActionParamError(
            f"{action}: {name} must be between 0 and 1 (a minimum confidence), got {value!r}"
        )
    return out


def whole_number(action: str, name: str, value: Any) -> int:
    """``value`` as a whole number ≥ 1 (a token budget)."""
    out = number(action, name, value)
    if not out.is_integer() or out < 1:
        raise ActionParamError(f"{action}: {name} must be a whole number ≥ 1, got {value!r}")
    return int(out)


def temperature(action: str, name: str, value: Any) -> float:
    """``value`` as a sampling temperature between 0 and ``MAX_TEMPERATURE``."""
    out = number(action, name, value)
    if not 0.0 <= out <= MAX_TEMPERATURE:
        raise ActionParamError(
            f"{action}: {name} must be between 0 and {MAX_TEMPERATURE} (a sampling temperature), "
            f"got {value!r}"
        )
    return out


@dataclass(frozen=True, slots=True)
class ParamRule:
    """One parameter: whether it must be given, and the check that normalises its value."""

    check: Callable[[str, str, Any], Any]
    required: bool = False


@dataclass(frozen=True, slots=True)
class Verification:
    """What the windows after an action must show before it counts as verified.

    ``routes``: one of them served at or after the action's revision (and no canary failed on
    them); ``shadow_answered``: the suspect version answered in shadow; ``clean_window``: the
    window had no signal at all.
    """

    routes: tuple[Route, ...] = ()
    shadow_answered: bool = False
    clean_window: bool = False

    @property
    def route_names(self) -> tuple[str, ...]:
        """The routes as the strings windows count them by."""
        return tuple(r.value for r in self.routes)


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """Everything redline knows about one action type.

    ``effect`` is pure (route, params, deployment facts → changed fields) and sets only
    ``owns``; ``changes_route`` without an ``effect`` means the service computes the change
    (a restore undoes other actions). ``contains``: it counts as an incident's containment.
    ``phase``: automatic actions run evidence (0), containment (1), people (2).
    """

    summary: str
    contains: bool = False
    changes_route: bool = False
    effect: Effect | None = None
    owns: frozenset[str] = frozenset()
    verification: Verification = Verification()
    params: Mapping[str, ParamRule] = field(default_factory=dict)
    phase: int = 1
    idempotent: bool = True
    reads_deployment: bool = False
    records_deployment: bool = False
    records_debt: bool = False
    needs_postmortem: bool = False
    ends_containment: bool = False
    final_once_verified: bool = False
    button: str | None = None
    form_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def reversible(self) -> bool:
        """Whether it can be undone: only what changed the route (a page cannot be unsent)."""
        return self.changes_route

    @property
    def requestable(self) -> bool:
        """Whether a person or a runbook may ask for it (a restore is the system's own step)."""
        return not self.ends_containment

    def check_params(self, action: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """``params`` with checked values; unlisted parameters pass unchanged."""
        out = dict(params or {})
        for name, rule in self.params.items():
            if name in out:
                out[name] = rule.check(action, name, out[name])
            elif rule.required:
                raise ActionParamError(f"{action} needs the parameter {name!r}")
        return out

    def changes(
        self,
        state: RouteState,
        params: Mapping[str, Any],
        facts: DeploymentFacts = NO_DEPLOYMENTS,
    ) -> dict[str, Any]:
        """The RouteState fields the action sets; :class:`EffectError` when it cannot."""
        if self.effect is None:
            raise EffectError("this action does not change the route by itself")
        return self.effect(state, params, facts)

    def apply(
        self,
        state: RouteState,
        params: Mapping[str, Any],
        facts: DeploymentFacts = NO_DEPLOYMENTS,
    ) -> RouteState:
        """The next revision of ``state`` with the action in place."""
        return state.with_changes(**self.changes(state, params, facts))

    def revert(self, before: RouteState, after: RouteState, current: RouteState) -> RouteState:
        """The next revision of ``current`` with what ``before → after`` changed undone."""
        return current.with_changes(**undo_changes(before, after, current))
