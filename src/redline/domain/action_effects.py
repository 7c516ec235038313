"""What each route action changes in a RouteState, and how a change is undone: pure functions.

Facts an effect needs from the store (the deployment history) arrive as a plain
:class:`DeploymentFacts` value resolved by the caller; recording a deployment is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from redline.domain.decision import Route, RouteState
from redline.domain.route_rules import GenerationLimits, InputFilter, OutputPatch
from redline.errors import RedlineError

__all__ = [
    "COLLECTION_FIELDS",
    "NO_DEPLOYMENTS",
    "DeploymentFacts",
    "Effect",
    "EffectError",
    "block_sources",
    "change_threshold",
    "limit_generation",
    "patch_output",
    "roll_back",
    "route_to_fallback",
    "shadow_suspect",
    "turn_on_filter",
    "undo_changes",
]


class EffectError(RedlineError):
    """An action cannot be applied to this route as asked."""


@dataclass(frozen=True, slots=True)
class DeploymentFacts:
    """What the deployment history says about a model, read before a pure effect runs."""

    current_version: str | None = None
    previous_version: str | None = None


#: A model with no deployment history (or an effect that does not read it).
NO_DEPLOYMENTS = DeploymentFacts()

Effect = Callable[[RouteState, Mapping[str, Any], DeploymentFacts], dict[str, Any]]

#: Fields holding a set of rules: an undo removes what the action added and keeps the rest.
COLLECTION_FIELDS = frozenset({"blocked_sources", "input_filters"})


def route_to_fallback(
    state: RouteState, params: Mapping[str, Any], facts: DeploymentFacts
) -> dict[str, Any]:
    """Serve the fallback (``version`` names which one)."""
    changes: dict[str, Any] = {"mode": Route.FALLBACK}
    if params.get("version"):
        changes["fallback_version"] = str(params["version"])
    return changes


def roll_back(
    state: RouteState, params: Mapping[str, Any], facts: DeploymentFacts
) -> dict[str, Any]:
    """Serve ``version``, or the version deployed before the current one, on the primary."""
    target = params.get("version") or facts.previous_version
    if not target:
        raise EffectError(
            f"cannot roll back {state.model!r}: the deployment history has no previous version; "
            "register and deploy versions first, or name the version to roll back to"
        )
    return {"model_version": str(target), "mode": Route.PRIMARY}


def shadow_suspect(
    state: RouteState, params: Mapping[str, Any], facts: DeploymentFacts
) -> dict[str, Any]:
    """Serve the ``baseline`` and run the suspect ``version`` beside it, unserved."""
    suspect = params.get("version") or state.model_version or facts.current_version
    baseline = params.get("baseline") or facts.previous_version
    if not suspect or not baseline:
        raise EffectError(
            f"shadow needs a baseline to serve and a suspect to watch for {state.model!r}; pass "
            "params {'baseline': <version>, 'version': <suspect>} or deploy two versions first"
        )
    if suspect == baseline:
        raise EffectError(f"shadow: the baseline and the suspect are the same version {suspect!r}")
    return {"model_version": str(baseline), "shadow_version": str(suspect), "mode": Route.PRIMARY}


def change_threshold(
    state: RouteState, params: Mapping[str, Any], facts: DeploymentFacts
) -> dict[str, Any]:
    """Send predictions below ``threshold`` to review (``review_mode``: what serves meanwhile)."""
    if "threshold" not in params:
        raise EffectError("threshold_change needs params {'threshold': <minimum confidence>}")
    changes: dict[str, Any] = {"confidence_threshold": float(params["threshold"])}
    if "review_mode" in params:
        changes["review_mode"] = str(params["review_mode"])
    return changes


def block_sources(
    state: RouteState, params: Mapping[str, Any], facts: DeploymentFacts
) -> dict[str, Any]:
    """Add ``source`` or ``sources`` (IP prefix, tenant or key) to the blocked ones, once each."""
    sources = params.get("sources") or ([params["source"]] if params.get("source") else [])
    if not sources:
        raise EffectError("block_source needs params {'source': '<IP prefix, tenant or key>'}")
    return {"blocked_sources": tuple(dict.fromkeys([*state.blocked_sources, *map(str, sources)]))}


def turn_on_filter(
    state: RouteState, params: Mapping[str, Any], facts: DeploymentFacts
) -> dict[str, Any]:
    """Add the input filter the params describe (once: the same filter twice adds nothing)."""
    try:
        rule = InputFilter.from_dict(params)
    except (KeyError, ValueError) as exc:
        raise EffectError(f"input_filter needs field, op, value and action: {exc}") from exc
    if rule in state.input_filters:
        return {"input_filters": state.input_filters}
    return {"input_filters": (*state.input_filters, rule)}


def patch_output(
    state: RouteState, params: Mapping[str, Any], facts: DeploymentFacts
) -> dict[str, Any]:
    """Shift scores and rename classes on the model's output."""
    try:
        return {"output_patch": OutputPatch.from_dict(params)}
    except (AttributeError, TypeError, ValueError) as exc:
        raise EffectError(f"output_patch needs score_offset and/or class_remap: {exc}") from exc


def limit_generation(
    state: RouteState, params: Mapping[str, Any], facts: DeploymentFacts
) -> dict[str, Any]:
    """Cap a language model's tokens and temperature per request (a loop, a cost spike)."""
    try:
        return {"generation_limits": GenerationLimits.from_dict(params)}
    except (TypeError, ValueError) as exc:
        raise EffectError(f"limit_generation needs max_tokens and/or temperature: {exc}") from exc


def _undo_collection(
    before: tuple[Any, ...], after: tuple[Any, ...], current: tuple[Any, ...]
) -> tuple[Any, ...]:
    added = [x for x in after if x not in before]
    removed = [x for x in before if x not in after]
    return (*[x for x in current if x not in added], *[x for x in removed if x not in current])


def undo_changes(before: RouteState, after: RouteState, current: RouteState) -> dict[str, Any]:
    """Fields to set on ``current`` so that what ``before → after`` changed goes back.

    Fields the change did not touch keep their current value; a collection keeps what was
    added to it since (another action's block or filter); anything else gets its old value.
    """
    out: dict[str, Any] = {}
    for name in (f.name for f in fields(RouteState)):
        if name in {"revision", "model"}:
            continue
        old, new, now = getattr(before, name), getattr(after, name), getattr(current, name)
        if old == new:
            continue
        if name in COLLECTION_FIELDS and now != new:
            out[name] = _undo_collection(old, new, now)
        else:
            out[name] = old
    return out
