"""The severity policy (ordered match rules) and the runbook of actions for each severity."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator, model_validator

from redline.domain import ActionType, Level, Signal
from redline.domain.action_params import check_action_params
from redline.domain.actions import ACTION_SPECS, CONTAINMENT_TYPES
from redline.monitors.registry import REGISTRY
from redline.playbook.defaults import DEFAULT_RULES, DEFAULT_RUNBOOKS
from redline.playbook.fields import Duration, SeverityName, Strict, choice
from redline.playbook.problems import problem_error

__all__ = [
    "CONTAINMENT",
    "DEFAULT_RULES",
    "DEFAULT_RUNBOOKS",
    "ActionStep",
    "RuleMatch",
    "Runbook",
    "SeverityConfig",
    "SeverityRule",
]

#: Actions that change what serves traffic; a snapshot must come before them.
CONTAINMENT = CONTAINMENT_TYPES

#: A restore is the system's way out of a containment, never a runbook step.
ActionName = Annotated[
    ActionType, choice("action", [t.value for t, spec in ACTION_SPECS.items() if spec.requestable])
]
LevelName = Annotated[Level, choice("level", [v.value for v in Level])]
MonitorName = Annotated[str, choice("monitor", sorted(REGISTRY))]


class ActionStep(Strict):
    """One automatic action, written `kill_switch` or `threshold_change: {threshold: 0.7}`."""

    type: ActionName
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"type": value}
        if isinstance(value, dict) and "type" not in value:
            if len(value) != 1:
                raise problem_error(
                    "an action is a name or a mapping with one key",
                    "write '- kill_switch' or '- threshold_change: {threshold: 0.7}'",
                )
            ((name, params),) = value.items()
            return {"type": name, "params": {} if params is None else params}
        return value

    @model_validator(mode="after")
    def _checked_params(self) -> ActionStep:
        check_action_params(self.type, self.params)  # threshold_change: a number in [0, 1]
        return self


def _is_page(step: Any) -> bool:
    """Whether a runbook entry, as written or validated, is the ``page`` action."""
    if isinstance(step, ActionStep):
        return step.type is ActionType.PAGE
    if isinstance(step, dict):
        step = step.get("type", next(iter(step), None))
    return isinstance(step, str) and step.lower() == "page"


def _page_in_actions(value: Any) -> Any:
    """``page: true`` and a ``page`` action mean the same; keep both views of a mapping in step."""
    if not isinstance(value, dict) or not isinstance(value.get("actions", []), list):
        return value
    if not isinstance(value.get("page", False), bool):
        return value  # let the field report the wrong type
    actions = list(value.get("actions") or [])
    listed = any(_is_page(a) for a in actions)
    if value.get("page") is False and listed:
        raise problem_error(
            "'page: false' but the actions include 'page'",
            "remove the 'page' action or set 'page: true'",
            at=("page",),
        )
    if value.get("page") is True and not listed:
        actions.append("page")
    return {**value, "actions": actions, "page": listed or value.get("page") is True}


def _checked_order(actions: list[ActionStep]) -> list[ActionStep]:
    """Each action once, and ``snapshot`` before any containment (evidence before change)."""
    names = [a.type for a in actions]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise problem_error(f"action '{name}' is listed twice", "keep one", at=(index,))
    if ActionType.SNAPSHOT in names:
        first = names.index(ActionType.SNAPSHOT)
        moved = [n for n in names[:first] if n in CONTAINMENT]
        if moved:
            raise problem_error(
                f"'snapshot' comes after '{moved[0]}'",
                "move 'snapshot' first: evidence is captured before anything changes",
                at=(first,),
            )
    return actions


class Runbook(Strict):
    """What happens automatically at one severity, who is paged, and the SLAs."""

    unknown_key: ClassVar[str] = "unknown runbook key '{name}'"
    actions: list[ActionStep] = Field(default_factory=list)
    page: bool = False
    ack_within: Duration | None = None
    contain_within: Duration | None = None
    postmortem: bool = False

    @model_validator(mode="before")
    @classmethod
    def _page_is_an_action(cls, value: Any) -> Any:
        return _page_in_actions(value)

    @field_validator("actions")
    @classmethod
    def _snapshot_first(cls, actions: list[ActionStep]) -> list[ActionStep]:
        return _checked_order(actions)

    @property
    def action_types(self) -> list[ActionType]:
        """The action names in order."""
        return [a.type for a in self.actions]


class RuleMatch(Strict):
    """Conditions on a signal; every given condition must hold, an empty match holds always."""

    unknown_key: ClassVar[str] = "unknown match condition '{name}'"
    kinds: list[str] = Field(default_factory=list)
    levels: list[LevelName] = Field(default_factory=list)
    monitors: list[MonitorName] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    min_value: float | None = None

    def matches(self, signal: Signal) -> bool:
        """Whether ``signal`` meets every condition."""
        checks = (
            (self.kinds, signal.kind),
            (self.levels, signal.level),
            (self.monitors, signal.monitor),
            (self.columns, signal.column),
        )
        if any(wanted and value not in wanted for wanted, value in checks):
            return False
        return self.min_value is None or signal.value >= self.min_value


class SeverityRule(Strict):
    """A match and the severity it sets; ``page`` overrides the runbook's paging.

    ``actions``, when given, replaces the severity's runbook actions for the signals this rule
    matches (``page`` included only when listed); its parameters apply to that action at this
    severity.
    """

    unknown_key: ClassVar[str] = "unknown rule key '{name}'"
    match: RuleMatch = Field(default_factory=RuleMatch)
    severity: SeverityName
    page: bool | None = None
    actions: list[ActionStep] | None = None

    @model_validator(mode="before")
    @classmethod
    def _page_is_an_action(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("actions") is not None:
            return _page_in_actions(value)
        return value

    @field_validator("actions")
    @classmethod
    def _snapshot_first(cls, actions: list[ActionStep] | None) -> list[ActionStep] | None:
        return None if actions is None else _checked_order(actions)

    def steps(self, runbook: Runbook) -> list[ActionStep]:
        """The actions for a signal this rule matches: its own, or ``runbook``'s with its paging."""
        if self.actions is not None:
            return list(self.actions)
        steps = [a for a in runbook.actions if a.type != ActionType.PAGE]
        paged = runbook.page if self.page is None else self.page
        return [*steps, ActionStep(type=ActionType.PAGE)] if paged else steps


class SeverityConfig(Strict):
    """A versioned, ordered rule list: the first rule that matches a signal sets its severity."""

    unknown_key: ClassVar[str] = "unknown severity key '{name}'"
    version: str = "1"
    rules: list[SeverityRule] = Field(
        default_factory=lambda: [SeverityRule.model_validate(r) for r in DEFAULT_RULES]
    )

    @field_validator("rules")
    @classmethod
    def _one_params_per_action(cls, rules: list[SeverityRule]) -> list[SeverityRule]:
        # Triage looks action parameters up by severity, so two rules of one severity must agree.
        seen: dict[tuple[str, ActionType], dict[str, Any]] = {}
        for index, rule in enumerate(rules):
            for position, step in enumerate(rule.actions or []):
                if not step.params:
                    continue
                known = seen.setdefault((rule.severity, step.type), step.params)
                if known != step.params:
                    raise problem_error(
                        f"two {rule.severity} rules give '{step.type}' different parameters",
                        "action parameters are per severity: give both rules the same ones",
                        at=(index, "actions", position),
                    )
        return rules

    def rule_for(self, signal: Signal) -> SeverityRule | None:
        """The first matching rule, or None (the signal is stored but opens no incident)."""
        return next((rule for rule in self.rules if rule.match.matches(signal)), None)
