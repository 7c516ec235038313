"""The built-in severity policies: each rule with the reason it exists, in the order tried."""

from __future__ import annotations

from redline.domain.actions import CONTAINMENT_TYPES, ActionType
from redline.domain.incident import Severity
from redline.domain.kinds import (
    DRIFT_KINDS,
    GENERATION_KINDS,
    INTEGRITY_KINDS,
    SHARE_INTEGRITY_KINDS,
)
from redline.domain.severity import SeverityPolicy, SeverityRule, SignalMatch
from redline.domain.signal import Level

__all__ = [
    "DEFAULT_POLICY",
    "DRIFT_FALLBACK_POLICY",
    "HARMFUL_SHARE",
    "SEV1_CRITICAL_SCAN",
    "SEV1_HARM",
    "SEV1_TOXIC_MANY",
    "SEV2_DEGRADATION",
    "SEV2_DRIFT_AGREEMENT",
    "SEV2_DRIFT_ALARM",
    "SEV2_DRIFT_FALLBACK",
    "SEV2_GENERATION",
    "SEV2_INJECTION",
    "SEV2_INTEGRITY",
    "SEV2_INTEGRITY_INVESTIGATE",
    "SEV2_MAPPING_ERROR",
    "SEV2_SOURCE",
    "SEV2_TOXIC",
    "SEV3_GENERATION",
    "SEV3_LATENCY",
    "SEV3_TOPIC_DRIFT",
    "SEV3_UNLISTED",
    "SEV3_WARNING",
]

_ALARM_UP = frozenset({Level.ALARM, Level.CRITICAL})
_CRITICAL = frozenset({Level.CRITICAL})
_KILL = (ActionType.SNAPSHOT, ActionType.KILL_SWITCH, ActionType.PAGE)
_FALLBACK = (ActionType.SNAPSHOT, ActionType.ROUTE_FALLBACK)
_EVIDENCE = (ActionType.SNAPSHOT,)

#: Share of rows an integrity breach must reach before moving all traffic pays: below it, the
#: fallback's loss on the healthy rows outweighs the gain on the broken ones.
HARMFUL_SHARE = 0.2


def _sev1(name: str, match: SignalMatch) -> SeverityRule:
    """SEV1: snapshot, kill switch, page; acknowledge and contain within 15 minutes."""
    return SeverityRule(name, match, Severity.SEV1, _KILL, True, 900.0, 900.0, True)


def _sev2(name: str, match: SignalMatch, actions: tuple[ActionType, ...]) -> SeverityRule:
    """SEV2: no page; investigate within 1 h; contain within 4 h when it contains at all."""
    contain = 4 * 3600.0 if CONTAINMENT_TYPES & set(actions) else None
    return SeverityRule(name, match, Severity.SEV2, actions, False, 3600.0, contain, True)


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
"""One traffic source flooding in (abuse, a broken client), confirmed: block it, serve the rest."""

SEV1_TOXIC_MANY = _sev1(
    "sev1_toxic_outputs_many", SignalMatch(kinds=frozenset({"toxic_output"}), levels=_CRITICAL)
)
"""Many toxic or jailbroken answers in one window: the model is being steered at scale; stop it."""

SEV2_INJECTION = _sev2(
    "sev2_prompt_injection_campaign",
    SignalMatch(kinds=frozenset({"prompt_injection"})),
    (ActionType.SNAPSHOT, ActionType.BLOCK_SOURCE),
)
"""An injection campaign from one source (its flagged share is far above the false-positive
rate): block that source, serve everyone else."""

SEV2_TOXIC = _sev2("sev2_toxic_output", SignalMatch(kinds=frozenset({"toxic_output"})), _EVIDENCE)
"""A few toxic answers: the output scanners already act per answer; keep evidence, a person looks."""

SEV2_GENERATION = _sev2(
    "sev2_runaway_generation",
    SignalMatch(kinds=GENERATION_KINDS, levels=_ALARM_UP),
    (ActionType.SNAPSHOT, ActionType.LIMIT_GENERATION),
)
"""Loops or token/cost per request far above the reference: cap the tokens (the cap comes from
the signal's evidence, the reference's p99 completion tokens with headroom) until it is fixed."""

SEV2_DEGRADATION = _sev2(
    "sev2_degradation",
    SignalMatch(kinds=frozenset({"performance_drop", "bias"}), levels=_ALARM_UP),
    _FALLBACK,
)
"""Realized harm, confirmed (lost recall on labels, bias): move traffic to the fallback."""

SEV2_MAPPING_ERROR = _sev2(
    "sev2_mapping_error",
    SignalMatch(kinds=frozenset({"mapping_error"}), levels=_ALARM_UP),
    _FALLBACK,
)
"""Categories swapped upstream: every affected row is scored on wrong inputs, so fall back."""

SEV2_INTEGRITY = _sev2(
    "sev2_integrity_breach",
    SignalMatch(kinds=SHARE_INTEGRITY_KINDS, levels=_ALARM_UP, min_value=HARMFUL_SHARE),
    _FALLBACK,
)
"""A confirmed breach (out of range, nulls, bad types, a missing column) on a fifth of the rows or
more: the model is scoring broken inputs for many users, so fall back until the pipeline is fixed."""

SEV2_INTEGRITY_INVESTIGATE = _sev2(
    "sev2_integrity_investigate",
    SignalMatch(kinds=INTEGRITY_KINDS, levels=_ALARM_UP),
    _EVIDENCE,
)
"""A confirmed breach on fewer rows, or unseen categories: keep evidence, a person looks."""

SEV2_DRIFT_ALARM = _sev2(
    "sev2_drift_alarm", SignalMatch(kinds=DRIFT_KINDS, levels=_ALARM_UP), _EVIDENCE
)
"""Confirmed drift is not harm: seasonal drift left models better than their fallback, so keep
evidence and investigate, and let labels (a performance drop) decide any route change."""

SEV2_DRIFT_FALLBACK = _sev2(
    "sev2_drift_fallback", SignalMatch(kinds=DRIFT_KINDS, levels=_ALARM_UP), _FALLBACK
)
"""Opt-in, for models where drift outside the fitted data is itself unacceptable: fall back."""

SEV2_DRIFT_AGREEMENT = _sev2(
    "sev2_drift_agreement", SignalMatch(kinds=DRIFT_KINDS, min_distinct_kinds=2), _EVIDENCE
)
"""Two drift kinds warning together agree: raise to SEV2 and keep evidence, without rerouting."""

SEV3_GENERATION = _sev3("sev3_generation", SignalMatch(kinds=GENERATION_KINDS))
"""Answers somewhat longer, costlier or loopier than the reference: log and watch; a person may
cap tokens (``limit_generation``) before it grows."""

SEV3_TOPIC_DRIFT = _sev3("sev3_topic_drift", SignalMatch(monitors=frozenset({"text_drift"})))
"""Prompts or answers on other topics, or from another writing source: log and watch."""

SEV3_LATENCY = _sev3("sev3_latency", SignalMatch(kinds=frozenset({"latency"})))
"""Slow answers hurt users but not correctness: log and watch."""

SEV3_WARNING = _sev3("sev3_warning", SignalMatch(levels=frozenset({Level.WARNING})))
"""One window over threshold is often noise: log and watch until it is confirmed."""

SEV3_UNLISTED = _sev3("sev3_unlisted", SignalMatch())
"""Anything no rule above claimed (e.g. an outside alert) is logged, never dropped."""

_HARM_RULES = (
    SEV1_HARM,
    SEV1_CRITICAL_SCAN,
    SEV1_TOXIC_MANY,
    SEV2_SOURCE,
    SEV2_INJECTION,
    SEV2_TOXIC,
    SEV2_GENERATION,
    SEV3_GENERATION,
    SEV3_TOPIC_DRIFT,
    SEV2_DEGRADATION,
    SEV2_MAPPING_ERROR,
    SEV2_INTEGRITY,
    SEV2_INTEGRITY_INVESTIGATE,
)
_WATCH_RULES = (SEV2_DRIFT_AGREEMENT, SEV3_LATENCY, SEV3_WARNING, SEV3_UNLISTED)

#: The policy used when a playbook declares none; rules are checked in this order. Traffic moves
#: only on evidence of harm; drift alone is recorded, snapshotted and investigated.
DEFAULT_POLICY = SeverityPolicy("2026-12-harm-llm", (*_HARM_RULES, SEV2_DRIFT_ALARM, *_WATCH_RULES))

#: The default with confirmed drift routed to the fallback, for callers that opt into it.
DRIFT_FALLBACK_POLICY = SeverityPolicy(
    "2026-12-harm-llm+drift-fallback", (*_HARM_RULES, SEV2_DRIFT_FALLBACK, *_WATCH_RULES)
)
