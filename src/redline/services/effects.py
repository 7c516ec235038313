"""What each containment action changes in the RouteState, and how to undo it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.domain import ActionType, Route, RouteState
from redline.domain.route_rules import InputFilter, OutputPatch
from redline.errors import RedlineError
from redline.services.registry import record_deployment_in
from redline.store import Session, get_current_deployment

__all__ = ["ROUTE_EFFECTS", "ActionError", "EffectContext", "revert_changes", "route_changes"]


class ActionError(RedlineError):
    """An action cannot be applied as asked."""


@dataclass(frozen=True)
class EffectContext:
    """Who applies an action to which model, when, and for which incident."""

    session: Session
    model: str
    actor: str
    now: datetime
    incident_id: int | None = None


Effect = Callable[[EffectContext, RouteState, Mapping[str, Any]], dict[str, Any]]


def _fallback(ctx: EffectContext, state: RouteState, params: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {"mode": Route.FALLBACK}
    if params.get("version"):
        changes["fallback_version"] = str(params["version"])
    return changes


def _rollback(ctx: EffectContext, state: RouteState, params: Mapping[str, Any]) -> dict[str, Any]:
    target = params.get("version")
    if target is None:
        current = get_current_deployment(ctx.session, model=ctx.model)
        if current is None or current.previous_version is None:
            raise ActionError(
                f"cannot roll back {ctx.model!r}: the deployment history has no previous version; "
                "register and deploy versions first, or name the version to roll back to"
            )
        target = current.previous_version
    record_deployment_in(
        ctx.session,
        model=ctx.model,
        version=str(target),
        actor=ctx.actor,
        reason="rollback",
        at=ctx.now,
        incident_id=ctx.incident_id,
    )
    return {"model_version": str(target), "mode": Route.PRIMARY}


def _shadow(ctx: EffectContext, state: RouteState, params: Mapping[str, Any]) -> dict[str, Any]:
    current = get_current_deployment(ctx.session, model=ctx.model)
    suspect = params.get("version") or state.model_version or (current and current.version)
    baseline = params.get("baseline") or (current and current.previous_version)
    if not suspect or not baseline:
        raise ActionError(
            f"shadow needs a baseline to serve and a suspect to watch for {ctx.model!r}; pass "
            "params {'baseline': <version>, 'version': <suspect>} or deploy two versions first"
        )
    if suspect == baseline:
        raise ActionError(f"shadow: the baseline and the suspect are the same version {suspect!r}")
    return {"model_version": str(baseline), "shadow_version": str(suspect), "mode": Route.PRIMARY}


def _threshold(ctx: EffectContext, state: RouteState, params: Mapping[str, Any]) -> dict[str, Any]:
    if "threshold" not in params:
        raise ActionError("threshold_change needs params {'threshold': <minimum confidence>}")
    changes: dict[str, Any] = {"confidence_threshold": float(params["threshold"])}
    if "review_mode" in params:
        changes["review_mode"] = str(params["review_mode"])
    return changes


def _block(ctx: EffectContext, state: RouteState, params: Mapping[str, Any]) -> dict[str, Any]:
    sources = params.get("sources") or ([params["source"]] if params.get("source") else [])
    if not sources:
        raise ActionError("block_source needs params {'source': '<IP prefix, tenant or key>'}")
    merged = tuple(dict.fromkeys([*state.blocked_sources, *map(str, sources)]))
    return {"blocked_sources": merged}


def _filter(ctx: EffectContext, state: RouteState, params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        rule = InputFilter.from_dict(params)
    except (KeyError, ValueError) as exc:
        raise ActionError(f"input_filter needs field, op, value and action: {exc}") from exc
    return {"input_filters": (*state.input_filters, rule)}


def _patch(ctx: EffectContext, state: RouteState, params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return {"output_patch": OutputPatch.from_dict(params)}
    except (TypeError, ValueError) as exc:
        raise ActionError(f"output_patch needs score_offset and/or class_remap: {exc}") from exc


ROUTE_EFFECTS: dict[ActionType, Effect] = {
    ActionType.KILL_SWITCH: _fallback,
    ActionType.ROUTE_FALLBACK: _fallback,
    ActionType.ROLLBACK: _rollback,
    ActionType.SHADOW: _shadow,
    ActionType.THRESHOLD_CHANGE: _threshold,
    ActionType.BLOCK_SOURCE: _block,
    ActionType.INPUT_FILTER: _filter,
    ActionType.OUTPUT_PATCH: _patch,
}


def route_changes(
    ctx: EffectContext, *, type: ActionType, state: RouteState, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The RouteState fields an action sets (and any record it keeps, such as a deployment)."""
    effect = ROUTE_EFFECTS.get(type)
    if effect is None:
        supported = ", ".join(sorted(t.value for t in ROUTE_EFFECTS))
        raise ActionError(f"{type.value} does not change the route; route actions: {supported}")
    return effect(ctx, state, params)


def revert_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], current: RouteState
) -> dict[str, Any]:
    """Fields to set so that what an action changed goes back, keeping later unrelated changes."""
    restored = RouteState.from_dict(before)
    changed = [name for name in after if name != "revision" and before.get(name) != after.get(name)]
    return {name: getattr(restored, name) for name in changed if name != "model"}
