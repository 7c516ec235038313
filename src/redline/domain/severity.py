"""Versioned severity policy: ordered rules that turn signals into a severity and first actions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from redline.domain.actions import ActionType
from redline.domain.incident import Severity
from redline.domain.signal import Level, Signal

__all__ = [
    "DEFAULT_POLICY",
    "DRIFT_KINDS",
    "SEV1_CRITICAL_SCAN",
    "SEV1_HARM",
    "SEV2_DEGRADATION",
    "SEV2_DRIFT_AGREEMENT",
    "SEV2_DRIFT_ALARM",
    "SEV2_SOURCE",
    "SEV3_LATENCY",
    "SEV3_UNLISTED",
    "SEV3_WARNING",
    "SeverityDecision",
    "SeverityPolicy",
    "SeverityRule",
    "SignalMatch",
    "classify",
]

#: Kinds whose agreement (two or more distinct kinds at once) is stronger evidence than either.
DRIFT_KINDS = frozenset({"feature_drift", "prediction_drift", "confidence_drop"})

#: Auto-actions run in this phase order: evidence first, then containment, then people.
_PHASE = {ActionType.SNAPSHOT: 0, ActionType.PAGE: 2}


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


_ALARM_UP = frozenset({Level.ALARM, Level.CRITICAL})
_KILL = (ActionType.SNAPSHOT, ActionType.KILL_SWITCH, ActionType.PAGE)
_FALLBACK = (ActionType.SNAPSHOT, ActionType.ROUTE_FALLBACK)


def _sev1(name: str, match: SignalMatch) -> SeverityRule:
    """SEV1: snapshot, kill switch, page; acknowledge and contain within 15 minutes."""
    return SeverityRule(name, match, Severity.SEV1, _KILL, True, 900.0, 900.0, True)


def _sev2(name: str, match: SignalMatch, actions: tuple[ActionType, ...]) -> SeverityRule:
    """SEV2: no page; investigate within 1 h, contain within 4 h; post-mortem required."""
    return SeverityRule(name, match, Severity.SEV2, actions, False, 3600.0, 4 * 3600.0, True)


def _sev3(name: str, match: SignalMatch) -> SeverityRule:
    """SEV3: log and watch; look within a day; no actions, no page, no post-mortem."""
    return SeverityRule(name, match, Severity.SEV3, (), False, 24 * 3600.0, None, False)


SEV1_HARM = _sev1(
    "sev1_safety_privacy_outage",
    SignalMatch(kinds=frozenset({"canary_failure", "pii_leak", "canary_leak", "outage"})),
)
"""Safety failures, privacy leaks and outages harm someone on every request: stop, then page."""

SEV1_CRITICAL_SCAN = _sev1(
    "sev1_critical_canary_pii",
    SignalMatch(monitors=frozenset({"canary", "pii"}), levels=frozenset({Level.CRITICAL})),
)
"""A critical canary or PII monitor finding is a safety breach whatever kind it reports."""

SEV2_SOURCE = _sev2(
    "sev2_source_share_alarm",
    SignalMatch(kinds=frozenset({"source_share"}), levels=_ALARM_UP),
    (ActionType.SNAPSHOT, ActionType.BLOCK_SOURCE),
)
"""One traffic source flooding in (abuse, a broken client): block it, keep serving the rest."""

SEV2_DEGRADATION = _sev2(
    "sev2_degradation",
    SignalMatch(kinds=frozenset({"performance_drop", "bias", "mapping_error"})),
    _FALLBACK,
)
"""Realized harm (lost recall, bias, mis-mapped inputs) at any level: move traffic to fallback."""

SEV2_DRIFT_ALARM = _sev2(
    "sev2_drift_alarm", SignalMatch(kinds=DRIFT_KINDS, levels=_ALARM_UP), _FALLBACK
)
"""Confirmed drift in inputs, outputs or confidence: the model is outside what it was fit on."""

SEV2_DRIFT_AGREEMENT = _sev2(
    "sev2_drift_agreement",
    SignalMatch(kinds=DRIFT_KINDS, min_distinct_kinds=2),
    (ActionType.SNAPSHOT,),
)
"""Two drift kinds warning together agree: raise to SEV2 and keep evidence, without rerouting."""

SEV3_LATENCY = _sev3("sev3_latency", SignalMatch(kinds=frozenset({"latency"})))
"""Slow answers hurt users but not correctness: log and watch."""

SEV3_WARNING = _sev3("sev3_warning", SignalMatch(levels=frozenset({Level.WARNING})))
"""One window over threshold is often noise: log and watch until it is confirmed."""

SEV3_UNLISTED = _sev3("sev3_unlisted", SignalMatch())
"""Anything no rule above claimed (e.g. a missing column alarm) is logged, never dropped."""

#: The policy used when a playbook declares none; rules are checked in this order.
DEFAULT_POLICY = SeverityPolicy(
    "2026-11-default",
    (
        SEV1_HARM,
        SEV1_CRITICAL_SCAN,
        SEV2_SOURCE,
        SEV2_DEGRADATION,
        SEV2_DRIFT_ALARM,
        SEV2_DRIFT_AGREEMENT,
        SEV3_LATENCY,
        SEV3_WARNING,
        SEV3_UNLISTED,
    ),
)
