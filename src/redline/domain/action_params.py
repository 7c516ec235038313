"""Containment action parameters checked before anything is recorded: rules per action type."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from redline.domain.actions import ActionType
from redline.errors import RedlineError

__all__ = ["PARAM_RULES", "ActionParamError", "check_action_params"]


class ActionParamError(RedlineError, ValueError):
    """A containment action parameter is missing, of the wrong type or out of range."""


Rule = Callable[[ActionType, str, Any], Any]


def _number(action: ActionType, name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise ActionParamError(f"{action.value}: {name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ActionParamError(f"{action.value}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ActionParamError(f"{action.value}: {name} must be a finite number, got {value!r}")
    return number


def _unit_interval(action: ActionType, name: str, value: Any) -> float:
    number = _number(action, name, value)
    if not 0.0 <= number <= 1.0:
        raise ActionParamError(
            f"{action.value}: {name} must be between 0 and 1 (a minimum confidence), got {value!r}"
        )
    return number


#: Per action type: parameter name -> (required, rule). Unlisted parameters pass unchanged.
PARAM_RULES: dict[ActionType, dict[str, tuple[bool, Rule]]] = {
    ActionType.THRESHOLD_CHANGE: {"threshold": (True, _unit_interval)},
    ActionType.OUTPUT_PATCH: {"score_offset": (False, _number)},
}


def check_action_params(type: ActionType, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` with checked values (numbers as floats); raises :class:`ActionParamError`.

    >>> check_action_params(ActionType.THRESHOLD_CHANGE, {"threshold": "0.7"})
    {'threshold': 0.7}
    """
    out = dict(params or {})
    for name, (required, rule) in PARAM_RULES.get(type, {}).items():
        if name in out:
            out[name] = rule(type, name, out[name])
        elif required:
            raise ActionParamError(f"{type.value} needs the parameter {name!r}")
    return out
