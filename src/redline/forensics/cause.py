"""The likely cause of an incident, from facts about its windows and signals, by rules as data.

Each rule names a cause, the facts it needs (``required``: all must hold or it scores 0) and the
facts that support it (weights), and a ceiling: how sure the rule can ever be, set by hand from
how often that evidence has other explanations. Score = ceiling x (weight held / weight).
The reported confidence is the best score, lowered when the runner-up is close.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["CAUSE_RULES", "Cause", "CauseRule", "Condition", "Verdict", "classify_cause"]


class Cause(StrEnum):
    """Likely-cause classes of a triage report."""

    PIPELINE_BUG = "pipeline_bug"
    COVARIATE_DRIFT = "covariate_drift"
    CONCEPT_DRIFT = "concept_drift"
    ADVERSARIAL_OR_OOD_TRAFFIC = "adversarial_or_ood_traffic"
    INFRASTRUCTURE = "infrastructure"
    BAD_RELEASE = "bad_release"
    UNDETERMINED = "undetermined"


_OPS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<": operator.lt}


@dataclass(frozen=True)
class Condition:
    """``fact op value``, worth ``weight`` when it holds."""

    fact: str
    op: str
    value: float
    weight: float = 1.0
    required: bool = False

    def holds(self, facts: Mapping[str, float]) -> bool:
        """Whether the fact (0 when absent) satisfies the condition."""
        return _OPS[self.op](float(facts.get(self.fact, 0.0)), self.value)

    def describe(self) -> str:
        """The condition as text."""
        return f"{self.fact} {self.op} {self.value:g}"


@dataclass(frozen=True)
class CauseRule:
    """A named rule for one cause."""

    name: str
    cause: Cause
    ceiling: float
    conditions: tuple[Condition, ...]

    def score(self, facts: Mapping[str, float]) -> float:
        """ceiling x supported weight share; 0 when a required condition fails."""
        if any(c.required and not c.holds(facts) for c in self.conditions):
            return 0.0
        total = sum(c.weight for c in self.conditions)
        held = sum(c.weight for c in self.conditions if c.holds(facts))
        return self.ceiling * held / total if total else 0.0


def _c(fact: str, op: str, value: float, weight: float = 1.0, required: bool = False) -> Condition:
    return Condition(fact, op, value, weight, required)


_LOCAL = ("top_source_shrinkage", "<", 0.5)

#: Evaluated in order; on equal scores the earlier rule wins. Drift counts only as calibrated
#: ``feature_drift`` signals (``drift_signals``): the raw distance is met by noise on a null
#: window of many features, so it only supports a verdict, never decides one.
CAUSE_RULES: tuple[CauseRule, ...] = (
    CauseRule(
        "mapping_error_signature",
        Cause.PIPELINE_BUG,
        0.9,
        (_c("mapping_errors", ">=", 1, 3, True), _c(*_LOCAL)),
    ),
    CauseRule(
        "unit_change_signature",
        Cause.PIPELINE_BUG,
        0.9,
        (_c("unit_changes", ">=", 1, 3, True), _c(*_LOCAL)),
    ),
    CauseRule(
        "integrity_breach",
        Cause.PIPELINE_BUG,
        0.8,
        (
            _c("integrity_breaches", ">=", 1, 3, True),
            _c(*_LOCAL),
            _c("schema_breaches", ">=", 1),
        ),
    ),
    CauseRule(
        "out_of_range_breach",
        Cause.PIPELINE_BUG,
        0.85,
        (
            _c("out_of_range_share", ">=", 0.05, 2, True),
            _c("out_of_range_share", ">=", 0.5, 2),
            _c(*_LOCAL, 2),
            # A broken feed breaks a column or two; a season or a new market moves many (and
            # takes time features such as the month out of their fitted range on the way).
            _c("drift_signals", "<", 4, 3),
        ),
    ),
    CauseRule(
        "source_concentrated_shift",
        Cause.ADVERSARIAL_OR_OOD_TRAFFIC,
        0.85,
        (
            _c("top_source_shrinkage", ">=", 0.5, 3, True),
            _c("top_source_share_jump", ">=", 0.1),
            _c("ood_excess_rate", ">=", 0.02),
        ),
    ),
    CauseRule(
        "ood_traffic",
        Cause.ADVERSARIAL_OR_OOD_TRAFFIC,
        0.6,
        (_c("ood_excess_rate", ">=", 0.1, 2, True), _c("pipeline_breaches", "<", 1)),
    ),
    CauseRule(
        "input_drift",
        Cause.COVARIATE_DRIFT,
        0.8,
        (
            _c("drift_signals", ">=", 1, 3, True),
            _c(*_LOCAL, 2),
            # Out of range alone is no counter-evidence: drift takes values out of range too.
            _c("integrity_breaches", "<", 1, 2),
            _c("input_drift", ">=", 0.02),
        ),
    ),
    CauseRule(
        "performance_without_input_drift",
        Cause.CONCEPT_DRIFT,
        0.8,
        (_c("performance_drops", ">=", 1, 2, True), _c("drift_signals", "<", 1, 2)),
    ),
    CauseRule(
        "golden_inputs_answered_wrong",
        Cause.BAD_RELEASE,
        0.85,
        (_c("canary_failures", ">=", 1, 3, True), _c("drift_signals", "<", 1)),
    ),
    CauseRule(
        "latency_or_errors_without_data_shift",
        Cause.INFRASTRUCTURE,
        0.8,
        (
            _c("infrastructure_signals", ">=", 1, 2, True),
            _c("drift_signals", "<", 1),
            _c("pipeline_breaches", "<", 1),
        ),
    ),
)


@dataclass(frozen=True)
class Verdict:
    """The likely cause, how sure, the rule that decided and every rule's score."""

    cause: Cause
    confidence: float
    rule: str | None
    evidence: tuple[str, ...]
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "cause": self.cause.value,
            "confidence": self.confidence,
            "rule": self.rule,
            "evidence": list(self.evidence),
            "scores": self.scores,
        }


def classify_cause(
    facts: Mapping[str, float], rules: tuple[CauseRule, ...] = CAUSE_RULES
) -> Verdict:
    """The best-scoring rule's cause; confidence drops by half the runner-up's closeness."""
    scored = [(rule.score(facts), i, rule) for i, rule in enumerate(rules)]
    scores = {rule.name: round(s, 4) for s, _, rule in scored}
    ranked = sorted(scored, key=lambda t: (-t[0], t[1]))
    best, _, rule = ranked[0]
    if best <= 0:
        return Verdict(Cause.UNDETERMINED, 0.0, None, (), scores)
    rival = max((s for s, _, r in ranked[1:] if r.cause != rule.cause), default=0.0)
    confidence = best * (1.0 - 0.5 * rival / best)
    held = tuple(
        f"{c.describe()} (observed {float(facts.get(c.fact, 0.0)):.4g})"
        for c in rule.conditions
        if c.holds(facts)
    )
    return Verdict(rule.cause, round(confidence, 4), rule.name, held, scores)
