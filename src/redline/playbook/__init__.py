"""The playbook: one YAML file declaring what is watched and what happens at each severity."""

from __future__ import annotations

from redline.playbook.channels import Channel, PagerDutyChannel, SlackChannel, WebhookChannel
from redline.playbook.explain import explain
from redline.playbook.fields import format_duration, parse_duration
from redline.playbook.loader import MAX_BYTES, load_playbook, parse_playbook
from redline.playbook.models import (
    Canary,
    ModelConfig,
    Playbook,
    RegulatoryConfig,
    ReviewConfig,
)
from redline.playbook.monitoring import MonitorsConfig, MonitorSettings
from redline.playbook.policy import ActionStep, RuleMatch, Runbook, SeverityConfig, SeverityRule
from redline.playbook.problems import PlaybookError, Problem
from redline.playbook.retrain import RetrainConfig

__all__ = [
    "MAX_BYTES",
    "ActionStep",
    "Canary",
    "Channel",
    "ModelConfig",
    "MonitorSettings",
    "MonitorsConfig",
    "PagerDutyChannel",
    "Playbook",
    "PlaybookError",
    "Problem",
    "RegulatoryConfig",
    "RetrainConfig",
    "ReviewConfig",
    "RuleMatch",
    "Runbook",
    "SeverityConfig",
    "SeverityRule",
    "SlackChannel",
    "WebhookChannel",
    "explain",
    "format_duration",
    "load_playbook",
    "parse_duration",
    "parse_playbook",
]
