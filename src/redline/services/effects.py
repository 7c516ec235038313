"""An action's pure effect run against the store: the facts it reads first, the records after."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from redline.domain import ActionType, RouteState
from redline.domain.action_effects import (
    NO_DEPLOYMENTS,
    DeploymentFacts,
    EffectError,
    undo_changes,
)
from redline.domain.actions import ACTION_SPECS
from redline.errors import RedlineError
from redline.services.registry import record_deployment_in
from redline.store import Session, get_current_deployment

__all__ = [
    "ActionError",
    "deployment_facts",
    "record_effect_in",
    "revert_changes",
    "route_changes",
]


class ActionError(RedlineError):
    """An action cannot be applied as asked."""


def deployment_facts(session: Session, *, model: str) -> DeploymentFacts:
    """What the deployment history says about ``model`` (empty when it has none)."""
    current = get_current_deployment(session, model=model)
    if current is None:
        return NO_DEPLOYMENTS
    return DeploymentFacts(current.version, current.previous_version)


def route_changes(
    session: Session,
    *,
    model: str,
    type: ActionType,
    state: RouteState,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """The RouteState fields an action sets, from its spec's pure effect."""
    spec = ACTION_SPECS[type]
    if spec.effect is None:
        supported = ", ".join(t.value for t, s in ACTION_SPECS.items() if s.effect is not None)
        raise ActionError(f"{type.value} does not change the route; route actions: {supported}")
    facts = deployment_facts(session, model=model) if spec.reads_deployment else NO_DEPLOYMENTS
    try:
        return spec.changes(state, params, facts)
    except EffectError as exc:
        raise ActionError(str(exc)) from exc


def record_effect_in(
    session: Session,
    *,
    type: ActionType,
    model: str,
    version: str | None,
    actor: str,
    at: datetime,
    reason: str,
    incident_id: int | None = None,
) -> None:
    """Keep the records an applied (or reverted) change implies: a rollback's deployment."""
    if ACTION_SPECS[type].records_deployment and version is not None:
        record_deployment_in(
            session,
            model=model,
            version=str(version),
            actor=actor,
            reason=reason,
            at=at,
            incident_id=incident_id,
        )


def revert_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], current: RouteState
) -> dict[str, Any]:
    """Fields to set so that what an action changed goes back, keeping later unrelated changes."""
    return undo_changes(RouteState.from_dict(before), RouteState.from_dict(after), current)
