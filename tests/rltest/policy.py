"""The opt-in "confirmed drift → route to the fallback" response, for tests about containment
mechanics rather than about the default policy (which keeps evidence and waits for harm)."""

from __future__ import annotations

from typing import Any

import yaml

from redline.domain import DRIFT_FALLBACK_POLICY
from redline.playbook import Playbook, parse_playbook
from redline.playbook.policy import DEFAULT_RULES
from redline.services.response import ResponsePlan

__all__ = ["DRIFT_FALLBACK_RULE", "drift_fallback_plan", "drift_fallback_playbook"]

#: The playbook rule a user writes to opt back into rerouting on confirmed drift.
DRIFT_FALLBACK_RULE: dict[str, Any] = {
    "match": {
        "kinds": ["feature_drift", "prediction_drift", "confidence_drop"],
        "levels": ["alarm", "critical"],
    },
    "severity": "SEV2",
    "actions": ["snapshot", "route_fallback"],
}


def drift_fallback_plan(**fields: Any) -> ResponsePlan:
    """A response plan on the built-in policy with confirmed drift routed to the fallback."""
    return ResponsePlan(policy=DRIFT_FALLBACK_POLICY, **fields)


def drift_fallback_playbook() -> Playbook:
    """A playbook of the default rules with :data:`DRIFT_FALLBACK_RULE` first, for Guards."""
    body = {
        "version": 1,
        "models": {"unused": {"reference": "reference.json", "primary": "unused:v1"}},
        "severity": {
            "version": "tests-drift-fallback",
            "rules": [DRIFT_FALLBACK_RULE, *DEFAULT_RULES],
        },
    }
    return parse_playbook(yaml.safe_dump(body, sort_keys=False), env={})
