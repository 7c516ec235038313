"""Containment action parameters checked before anything is recorded: each spec's rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redline.domain.action_specs import ActionParamError, ParamRule
from redline.domain.actions import ACTION_SPECS, ActionType

__all__ = ["PARAM_RULES", "ActionParamError", "check_action_params"]

#: Per action type: parameter name -> rule (from ``ACTION_SPECS``). Unlisted parameters pass.
PARAM_RULES: Mapping[ActionType, Mapping[str, ParamRule]] = {
    t: spec.params for t, spec in ACTION_SPECS.items() if spec.params
}


def check_action_params(type: ActionType, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` with checked values (numbers as floats); raises :class:`ActionParamError`.

    >>> check_action_params(ActionType.THRESHOLD_CHANGE, {"threshold": "0.7"})
    {'threshold': 0.7}
    """
    return ACTION_SPECS[type].check_params(type.value, params)
