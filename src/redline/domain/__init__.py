"""Pure types and rules: no I/O, no clock, no globals."""

from __future__ import annotations

from redline.domain.action_rules import REVERSIBLE, advance_action, next_action_statuses
from redline.domain.actions import ActionStatus, ActionType
from redline.domain.columns import ColumnKind
from redline.domain.decision import Decision, Route, RouteState
from redline.domain.grouping import Snooze, dedup_key, is_snoozed, should_group
from redline.domain.incident import IncidentEvent, IncidentStatus, Severity
from redline.domain.policies import DEFAULT_POLICY, DRIFT_FALLBACK_POLICY
from redline.domain.route_rules import GenerationLimits, InputFilter, OutputPatch
from redline.domain.severity import (
    SeverityDecision,
    SeverityPolicy,
    SeverityRule,
    SignalMatch,
    classify,
)
from redline.domain.signal import Level, Signal
from redline.domain.timeline import GENESIS, chain_hash, verify_chain
from redline.domain.transitions import (
    IncidentFacts,
    TransitionError,
    allowed_events,
    postmortem_required,
    transition,
)

__all__ = [
    "DEFAULT_POLICY",
    "DRIFT_FALLBACK_POLICY",
    "GENESIS",
    "REVERSIBLE",
    "ActionStatus",
    "ActionType",
    "ColumnKind",
    "Decision",
    "GenerationLimits",
    "IncidentEvent",
    "IncidentFacts",
    "IncidentStatus",
    "InputFilter",
    "Level",
    "OutputPatch",
    "Route",
    "RouteState",
    "Severity",
    "SeverityDecision",
    "SeverityPolicy",
    "SeverityRule",
    "Signal",
    "SignalMatch",
    "Snooze",
    "TransitionError",
    "advance_action",
    "allowed_events",
    "chain_hash",
    "classify",
    "dedup_key",
    "is_snoozed",
    "next_action_statuses",
    "postmortem_required",
    "should_group",
    "transition",
    "verify_chain",
]
