"""The defaults a playbook starts from: INCIDENTS.md runbooks and the built-in severity rules."""

from __future__ import annotations

from typing import Any

from redline.domain import Severity
from redline.domain.kinds import GENERATION_KINDS, INTEGRITY_KINDS
from redline.domain.policies import HARMFUL_SHARE

__all__ = ["DEFAULT_RULES", "DEFAULT_RUNBOOKS"]

#: INCIDENTS.md defaults; fields a playbook leaves out of a runbook keep these values.
DEFAULT_RUNBOOKS: dict[Severity, dict[str, Any]] = {
    Severity.SEV1: {
        "actions": ["snapshot", "kill_switch", "page"],
        "ack_within": "15m",
        "contain_within": "1h",
        "postmortem": True,
    },
    Severity.SEV2: {
        "actions": ["snapshot", "route_fallback"],
        "ack_within": "1h",
        "contain_within": "4h",
        "postmortem": True,
    },
    Severity.SEV3: {"actions": [], "postmortem": False},
}

_ALARM = ["alarm", "critical"]
_DRIFT = ["feature_drift", "prediction_drift", "confidence_drop"]
_GENERATION = sorted(GENERATION_KINDS)
_SHARE_BREACHES = ["missing_column", "null_jump", "out_of_range", "type_violation"]

#: The built-in policy (``redline.domain.DEFAULT_POLICY``) as playbook rules: traffic moves only
#: on evidence of harm; confirmed drift is kept as evidence and investigated. A playbook opts
#: into rerouting on drift with its own rule, e.g. ``{match: {kinds: [feature_drift], levels:
#: [alarm]}, severity: SEV2, actions: [snapshot, route_fallback]}`` placed before these.
DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "match": {"kinds": ["canary_failure", "pii_leak", "canary_leak", "outage"]},
        "severity": "SEV1",
    },
    {
        "match": {"kinds": ["source_share"], "levels": _ALARM},
        "severity": "SEV2",
        "actions": ["snapshot", "block_source"],
    },
    {"match": {"kinds": ["toxic_output"], "levels": ["critical"]}, "severity": "SEV1"},
    {
        "match": {"kinds": ["prompt_injection"]},
        "severity": "SEV2",
        "actions": ["snapshot", "block_source"],
    },
    {"match": {"kinds": ["toxic_output"]}, "severity": "SEV2", "actions": ["snapshot"]},
    {
        "match": {"kinds": _GENERATION, "levels": _ALARM},
        "severity": "SEV2",
        "actions": ["snapshot", "limit_generation"],
    },
    {"match": {"kinds": _GENERATION}, "severity": "SEV3"},
    {"match": {"monitors": ["text_drift"]}, "severity": "SEV3"},
    {
        "match": {"kinds": ["performance_drop", "bias", "mapping_error"], "levels": _ALARM},
        "severity": "SEV2",
    },
    {
        "match": {"kinds": _SHARE_BREACHES, "levels": _ALARM, "min_value": HARMFUL_SHARE},
        "severity": "SEV2",
    },
    {
        "match": {"kinds": [*_DRIFT, *sorted(INTEGRITY_KINDS)], "levels": _ALARM},
        "severity": "SEV2",
        "actions": ["snapshot"],
    },
    {"match": {"kinds": ["latency"]}, "severity": "SEV3"},
    {"match": {}, "severity": "SEV3"},
]
