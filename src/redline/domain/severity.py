"""Versioned severity policy: ordered rules that turn signals into a severity and first actions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from redline.domain.actions import ACTION_SPECS, ActionType
from redline.domain.incident import Severity
from redline.domain.signal import Level, Signal

__all__ = [
    "SeverityDecision",
    "SeverityPolicy",
    "SeverityRule",
    "SignalMatch",
    "classify",
]

#: Auto-actions run in this phase order: evidence first, then containment, then people.
_PHASE = {t: spec.phase for t, spec in ACTION_SPECS.items()}


@dataclass(frozen=True, slots=True)
class SignalMatch:
    """Which signals a rule covers: every given field must match (None means any)."""

    kinds: frozenset[str] | None = None
    levels: frozenset[Level] | None = None
    monitors: frozenset[str] | None = None
    columns: frozenset[str] | None = None
    models: frozenset[str] | None = None
    min_value: float | None = None
    min_distinct_kinds: int = 1

    def __post_init__(self) -> None:
        if self.min_distinct_kinds < 1:
            raise ValueError("min_distinct_kinds must be at least 1")

    def covers(self, signal: Signal) -> bool:
        """True when this one signal passes every per-signal criterion."""
        checks = (
            (self.kinds, signal.kind),
            (self.levels, signal.level),
            (self.monitors, signal.monitor),
            (self.columns, signal.column),
            (self.models, signal.model),
        )
        if any(allowed is not None and value not in allowed for allowed, value in checks):
            return False
        return self.min_value is None or signal.value >= self.min_value


@dataclass(frozen=True, slots=True)
class SeverityRule:
    """A match, the severity it implies, the auto-actions in order and the response clocks."""

    name: str
    match: SignalMatch
    severity: Severity
    actions: tuple[ActionType, ...] = ()
    page: bool = False
    ack_within_s: float | None = None
    contain_within_s: float | None = None
    postmortem: bool = False


@dataclass(frozen=True, slots=True)
class SeverityPolicy:
    """A named, versioned, ordered list of rules; a signal is claimed by the first that fires."""

    version: str
    rules: tuple[SeverityRule, ...]

    def __post_init__(self) -> None:
        names = [r.name for r in self.rules]
        if not self.version.strip():
            raise ValueError("a severity policy needs a version")
        if len(set(names)) != len(names):
            raise ValueError(f"severity rule names must be unique: {names}")


@dataclass(frozen=True, slots=True)
class SeverityDecision:
    """The worst severity that fired, with the merged response of every rule at that severity."""

    severity: Severity
    rules: tuple[str, ...]
    actions: tuple[ActionType, ...]
    page: bool
    ack_within_s: float | None
    contain_within_s: float | None
    postmortem: bool
    signals: tuple[Signal, ...]
    policy_version: str


def _earliest(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _fire(policy: SeverityPolicy, signals: list[Signal]) -> list[tuple[SeverityRule, list[Signal]]]:
    """Walk the rules in order; each fires on its still-unclaimed signals and claims them."""
    left = set(range(len(signals)))
    fired: list[tuple[SeverityRule, list[Signal]]] = []
    for rule in policy.rules:
        hits = [i for i in sorted(left) if rule.match.covers(signals[i])]
        if hits and len({signals[i].kind for i in hits}) >= rule.match.min_distinct_kinds:
            fired.append((rule, [signals[i] for i in hits]))
            left.difference_update(hits)
    return fired


def classify(policy: SeverityPolicy, signals: Iterable[Signal]) -> SeverityDecision | None:
    """The highest severity the policy assigns to these signals, or None when no rule fires."""
    fired = _fire(policy, list(signals))
    if not fired:
        return None
    worst = min(rule.severity.rank for rule, _ in fired)
    top = [(rule, hits) for rule, hits in fired if rule.severity.rank == worst]
    actions = dict.fromkeys(a for rule, _ in top for a in rule.actions)
    return SeverityDecision(
        severity=top[0][0].severity,
        rules=tuple(rule.name for rule, _ in top),
        actions=tuple(sorted(actions, key=lambda a: _PHASE.get(a, 1))),
        page=any(rule.page for rule, _ in top),
        ack_within_s=_earliest(rule.ack_within_s for rule, _ in top),
        contain_within_s=_earliest(rule.contain_within_s for rule, _ in top),
        postmortem=any(rule.postmortem for rule, _ in top),
        signals=tuple(s for _, hits in top for s in hits),
        policy_version=policy.version,
    )
