"""How the system responds: the severity policy, action parameters and paging, from a playbook."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from redline.domain import ActionType, Severity
from redline.domain.health import ReviewSla
from redline.domain.policies import DEFAULT_POLICY
from redline.domain.severity import SeverityPolicy, SeverityRule, SignalMatch
from redline.notify import Channel, PagerDutyChannel, SlackChannel, WebhookChannel
from redline.playbook import PagerDutyChannel as PagerDutyConfig
from redline.playbook import Playbook, load_playbook
from redline.playbook import SlackChannel as SlackConfig
from redline.playbook.policy import CONTAINMENT, ActionStep

__all__ = ["ResponsePlan", "load_response_plan", "review_sla_of"]


@dataclass(frozen=True)
class ResponsePlan:
    """Everything triage needs to act: rules, per-severity action params, who to page."""

    policy: SeverityPolicy = DEFAULT_POLICY
    params: Mapping[Severity, Mapping[ActionType, Mapping[str, Any]]] = field(default_factory=dict)
    channels: Mapping[str, Channel] = field(default_factory=dict)
    paged: Mapping[Severity, tuple[str, ...]] = field(default_factory=dict)
    exit_windows: int = 3
    #: How long a pending review may wait before its model counts as unhealthy.
    review_sla: ReviewSla = field(default_factory=ReviewSla)

    def action_params(self, severity: Severity, action: ActionType) -> dict[str, Any]:
        """The playbook's parameters for ``action`` at ``severity`` (empty when none)."""
        return dict(self.params.get(severity, {}).get(action, {}))

    @classmethod
    def from_playbook(cls, playbook: Playbook) -> ResponsePlan:
        """Translate a validated playbook into the domain policy and the notification channels."""
        rules = []
        for index, rule in enumerate(playbook.severity.rules):
            runbook = playbook.runbook(rule.severity)
            steps = rule.steps(runbook)
            m = rule.match
            match = SignalMatch(
                kinds=frozenset(m.kinds) or None,
                levels=frozenset(m.levels) or None,
                monitors=frozenset(m.monitors) or None,
                columns=frozenset(m.columns) or None,
                min_value=m.min_value,
            )
            rules.append(
                SeverityRule(
                    name=f"playbook rule {index + 1}",
                    match=match,
                    severity=rule.severity,
                    actions=tuple(step.type for step in steps),
                    page=any(step.type == ActionType.PAGE for step in steps),
                    ack_within_s=runbook.ack_within,
                    contain_within_s=runbook.contain_within if _contains(steps) else None,
                    postmortem=runbook.postmortem,
                )
            )
        params = _params(playbook)
        paged = {severity: tuple(playbook.paged_channels(severity)) for severity in Severity}
        channels = {name: _channel(name, config) for name, config in playbook.notifications.items()}
        policy = SeverityPolicy(version=playbook.severity.version, rules=tuple(rules))
        return cls(
            policy=policy,
            params=params,
            channels=channels,
            paged=paged,
            review_sla=review_sla_of(playbook),
        )


def load_response_plan(path: str | os.PathLike[str] | None) -> ResponsePlan:
    """The plan of the playbook file at ``path`` (PlaybookError on problems), else the built-in."""
    return ResponsePlan() if path is None else ResponsePlan.from_playbook(load_playbook(path))


def review_sla_of(playbook: Playbook) -> ReviewSla:
    """The playbook's ``review.decide_within``, and each model's own where it sets one."""
    per_model = {
        name: float(config.review.decide_within)
        for name, config in playbook.models.items()
        if config.review is not None
    }
    return ReviewSla(default_s=float(playbook.review.decide_within), per_model=per_model)


def _contains(steps: Sequence[ActionStep]) -> bool:
    """Whether a rule changes what serves: only then does a containment clock apply."""
    return any(step.type in CONTAINMENT for step in steps)


def _params(playbook: Playbook) -> dict[Severity, dict[ActionType, dict[str, Any]]]:
    """Action parameters per severity: the runbook's, replaced by a rule's own where it has some."""
    params = {
        severity: {step.type: dict(step.params) for step in runbook.actions if step.params}
        for severity, runbook in playbook.runbooks.items()
    }
    for rule in playbook.severity.rules:
        for step in rule.actions or []:
            if step.params:
                params.setdefault(rule.severity, {})[step.type] = dict(step.params)
    return params


def _channel(name: str, config: Any) -> Channel:
    if isinstance(config, PagerDutyConfig):
        return PagerDutyChannel(config.routing_key.get_secret_value(), url=config.url, name=name)
    if isinstance(config, SlackConfig):
        return SlackChannel(_secret(config.webhook_url), name=name)
    headers = {k: v.get_secret_value() for k, v in config.headers.items()}
    return WebhookChannel(_secret(config.url), headers=headers, name=name)


def _secret(value: Any) -> str:
    return str(value.get_secret_value() if hasattr(value, "get_secret_value") else value)
