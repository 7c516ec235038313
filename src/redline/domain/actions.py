"""Containment actions as data: their types, the states an action goes through, one spec each.

``ACTION_SPECS`` is the one place that says what each action type does; every other per-action
fact (containment, reversibility, verification routes, parameter rules, labels) derives from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from enum import StrEnum
from types import MappingProxyType

from redline.domain.action_effects import (
    block_sources,
    change_threshold,
    limit_generation,
    patch_output,
    roll_back,
    route_to_fallback,
    shadow_suspect,
    turn_on_filter,
)
from redline.domain.action_specs import (
    ActionSpec,
    ParamRule,
    Verification,
    number,
    temperature,
    unit_interval,
    whole_number,
)
from redline.domain.decision import Route

__all__ = ["ACTION_SPECS", "CONTAINMENT_TYPES", "ActionSpec", "ActionStatus", "ActionType"]


class ActionType(StrEnum):
    """What a containment action does to the data plane."""

    SNAPSHOT = "snapshot"
    KILL_SWITCH = "kill_switch"
    ROUTE_FALLBACK = "route_fallback"
    ROLLBACK = "rollback"
    SHADOW = "shadow"
    THRESHOLD_CHANGE = "threshold_change"
    INPUT_FILTER = "input_filter"
    BLOCK_SOURCE = "block_source"
    OUTPUT_PATCH = "output_patch"
    LIMIT_GENERATION = "limit_generation"
    PAGE = "page"
    RESTORE = "restore"


class ActionStatus(StrEnum):
    """requested → applied → verified | failed → reverted; verified → failed on a canary failure."""

    REQUESTED = "requested"
    APPLIED = "applied"
    VERIFIED = "verified"
    FAILED = "failed"
    REVERTED = "reverted"


P, F, B, R = Route.PRIMARY, Route.FALLBACK, Route.BLOCK, Route.REVIEW
_FALLBACK = ActionSpec(
    summary="route traffic from `{primary}` to {fallback}",
    contains=True,
    changes_route=True,
    effect=route_to_fallback,
    owns=frozenset({"mode", "fallback_version"}),
    verification=Verification((F, B)),
)

#: One row per action type, in the order they are listed.
ACTION_SPECS: Mapping[ActionType, ActionSpec] = MappingProxyType(
    {
        ActionType.SNAPSHOT: ActionSpec(
            summary="take a forensic snapshot (model, code, environment, data, recent windows) "
            "before anything changes",
            phase=0,
        ),
        ActionType.KILL_SWITCH: replace(
            _FALLBACK,
            summary="take `{primary}` out of service and serve {fallback}",
            needs_postmortem=True,
            button="Kill switch",
        ),
        ActionType.ROUTE_FALLBACK: _FALLBACK,
        ActionType.ROLLBACK: ActionSpec(
            summary="roll back to the previously deployed version (from the deployment history)",
            contains=True,
            changes_route=True,
            effect=roll_back,
            owns=frozenset({"model_version", "mode"}),
            verification=Verification((P,)),
            reads_deployment=True,
            records_deployment=True,
            needs_postmortem=True,
            button="Roll back",
            form_fields=("version",),
        ),
        ActionType.SHADOW: ActionSpec(
            summary="serve {fallback} and run `{primary}` in shadow on the same inputs",
            contains=True,
            changes_route=True,
            effect=shadow_suspect,
            owns=frozenset({"model_version", "shadow_version", "mode"}),
            verification=Verification((P,), shadow_answered=True),
            # without a named suspect it is the version now served, which the shadow replaces
            idempotent=False,
            reads_deployment=True,
            button="Shadow",
            form_fields=("baseline", "version"),
        ),
        ActionType.THRESHOLD_CHANGE: ActionSpec(
            summary="send predictions below the confidence threshold to human review",
            contains=True,
            changes_route=True,
            effect=change_threshold,
            owns=frozenset({"confidence_threshold", "review_mode"}),
            verification=Verification((P, R)),
            params={"threshold": ParamRule(unit_interval, required=True)},
            button="Set threshold",
            form_fields=("threshold", "review_mode"),
        ),
        ActionType.INPUT_FILTER: ActionSpec(
            summary="turn on input filters (they fail {fail_mode})",
            contains=True,
            changes_route=True,
            effect=turn_on_filter,
            owns=frozenset({"input_filters"}),
            verification=Verification((P, B, F, R)),
        ),
        ActionType.BLOCK_SOURCE: ActionSpec(
            summary="block the offending source (IP prefix, user agent, tenant or API key)",
            contains=True,
            changes_route=True,
            effect=block_sources,
            owns=frozenset({"blocked_sources"}),
            verification=Verification((P, B, F)),
        ),
        ActionType.OUTPUT_PATCH: ActionSpec(
            summary="apply the declared output patch (recorded as debt on the incident)",
            contains=True,
            changes_route=True,
            effect=patch_output,
            owns=frozenset({"output_patch"}),
            verification=Verification((P,)),
            params={"score_offset": ParamRule(number)},
            # a patch on the output hides the problem rather than fixing it: debt to repay
            records_debt=True,
        ),
        ActionType.LIMIT_GENERATION: ActionSpec(
            summary="cap the language model's tokens and temperature per request",
            contains=True,
            changes_route=True,
            effect=limit_generation,
            owns=frozenset({"generation_limits"}),
            verification=Verification((P,)),
            params={
                "max_tokens": ParamRule(whole_number),
                "temperature": ParamRule(temperature),
            },
        ),
        ActionType.PAGE: ActionSpec(summary="page {paged}", phase=2),
        ActionType.RESTORE: ActionSpec(
            summary="route back to `{primary}`, undoing the containment still in force",
            changes_route=True,
            verification=Verification((P,), clean_window=True),
            ends_containment=True,
            # a verified restore already reverted what it lifted: undoing it would leave a
            # route nobody's action holds; contain again with a new action
            final_once_verified=True,
        ),
    }
)

#: Actions that contain an incident by changing the route: not a snapshot or a page, and not
#: the restore that ends a containment (the system's step, never a runbook's).
CONTAINMENT_TYPES = frozenset(t for t, spec in ACTION_SPECS.items() if spec.contains)
