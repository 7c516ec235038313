"""Severity classification: every default rule, agreement, merging, and no match."""

from __future__ import annotations

from typing import Any

import pytest

from redline.domain import (
    DEFAULT_POLICY,
    DRIFT_FALLBACK_POLICY,
    ActionType,
    Level,
    Severity,
    SeverityPolicy,
    SeverityRule,
    Signal,
    SignalMatch,
    classify,
    postmortem_required,
)
from redline.domain import policies as sev

T = ActionType
W, AL, CR = Level.WARNING, Level.ALARM, Level.CRITICAL


def sig(kind: str, level: Level = AL, **kw: Any) -> Signal:
    base: dict[str, Any] = {
        "monitor": kw.pop("monitor", kind),
        "kind": kind,
        "column": kw.pop("column", "x"),
        "statistic": "psi",
        "value": kw.pop("value", 0.5),
        "threshold": 0.2,
        "level": level,
        "model": kw.pop("model", "churn"),
    }
    return Signal(**base, **kw)


KILL, FALLBACK, EVIDENCE = (
    (T.SNAPSHOT, T.KILL_SWITCH, T.PAGE),
    (T.SNAPSHOT, T.ROUTE_FALLBACK),
    (T.SNAPSHOT,),
)


@pytest.mark.parametrize(
    ("signal", "rule", "severity", "actions", "page"),
    [
        (sig("pii_leak", W), "sev1_safety_privacy_outage", "SEV1", KILL, True),
        (sig("canary_failure"), "sev1_safety_privacy_outage", "SEV1", KILL, True),
        (sig("canary_leak"), "sev1_safety_privacy_outage", "SEV1", KILL, True),
        (sig("outage", CR), "sev1_safety_privacy_outage", "SEV1", KILL, True),
        (sig("regex_hit", CR, monitor="pii"), "sev1_critical_canary_pii", "SEV1", KILL, True),
        (sig("golden", CR, monitor="canary"), "sev1_critical_canary_pii", "SEV1", KILL, True),
        (sig("source_share"), "sev2_source_share_alarm", "SEV2", (T.SNAPSHOT, T.BLOCK_SOURCE), False),
        (sig("performance_drop"), "sev2_degradation", "SEV2", FALLBACK, False),
        (sig("bias", CR), "sev2_degradation", "SEV2", FALLBACK, False),
        (sig("mapping_error"), "sev2_mapping_error", "SEV2", FALLBACK, False),
        (sig("out_of_range", value=0.95), "sev2_integrity_breach", "SEV2", FALLBACK, False),
        (sig("null_jump", value=0.2), "sev2_integrity_breach", "SEV2", FALLBACK, False),
        (sig("type_violation", CR, value=0.3), "sev2_integrity_breach", "SEV2", FALLBACK, False),
        (sig("missing_column", value=1.0), "sev2_integrity_breach", "SEV2", FALLBACK, False),
        (sig("out_of_range", value=0.19), "sev2_integrity_investigate", "SEV2", EVIDENCE, False),
        (sig("unseen_categories", value=0.9), "sev2_integrity_investigate", "SEV2", EVIDENCE, False),
        (sig("feature_drift"), "sev2_drift_alarm", "SEV2", EVIDENCE, False),
        (sig("prediction_drift", CR), "sev2_drift_alarm", "SEV2", EVIDENCE, False),
        (sig("confidence_drop"), "sev2_drift_alarm", "SEV2", EVIDENCE, False),
        (sig("latency", CR), "sev3_latency", "SEV3", (), False),
        (sig("feature_drift", W), "sev3_warning", "SEV3", (), False),
        (sig("performance_drop", W), "sev3_warning", "SEV3", (), False),
        (sig("mapping_error", W), "sev3_warning", "SEV3", (), False),
        (sig("out_of_range", W, value=0.95), "sev3_warning", "SEV3", (), False),
        (sig("source_share", W), "sev3_warning", "SEV3", (), False),
        (sig("external", CR, monitor="alertmanager"), "sev3_unlisted", "SEV3", (), False),
        (sig("toxic_output", CR), "sev1_toxic_outputs_many", "SEV1", KILL, True),
        (sig("toxic_output"), "sev2_toxic_output", "SEV2", EVIDENCE, False),
        (sig("prompt_injection"), "sev2_prompt_injection_campaign", "SEV2", (T.SNAPSHOT, T.BLOCK_SOURCE), False),
        (sig("token_spike"), "sev2_runaway_generation", "SEV2", (T.SNAPSHOT, T.LIMIT_GENERATION), False),
        (sig("cost_spike", CR), "sev2_runaway_generation", "SEV2", (T.SNAPSHOT, T.LIMIT_GENERATION), False),
        (sig("generation_loop"), "sev2_runaway_generation", "SEV2", (T.SNAPSHOT, T.LIMIT_GENERATION), False),
        (sig("generation_loop", W), "sev3_generation", "SEV3", (), False),
        (sig("token_spike", W), "sev3_generation", "SEV3", (), False),
        (sig("feature_drift", monitor="text_drift"), "sev3_topic_drift", "SEV3", (), False),
    ],
)  # fmt: skip
def test_each_default_rule(
    signal: Signal, rule: str, severity: str, actions: tuple[ActionType, ...], page: bool
) -> None:
    decision = classify(DEFAULT_POLICY, [signal])
    assert decision is not None
    assert decision.rules == (rule,)
    assert decision.severity is Severity(severity)
    assert decision.actions == actions
    assert decision.page is page
    assert decision.signals == (signal,)
    assert decision.policy_version == "2026-12-harm-llm"


HARM = {"pii_leak", "canary_failure", "canary_leak", "outage", "performance_drop", "bias",
        "mapping_error", "out_of_range", "null_jump", "type_violation", "missing_column",
        "toxic_output"}  # fmt: skip
KINDS = sorted(HARM | {"feature_drift", "prediction_drift", "confidence_drop", "latency",
                       "source_share", "unseen_categories", "external", "prompt_injection",
                       "generation_loop", "token_spike", "cost_spike"})  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("level", [W, AL, CR])
def test_the_default_moves_all_traffic_only_on_evidence_of_harm(kind: str, level: Level) -> None:
    decision = classify(DEFAULT_POLICY, [sig(kind, level, value=1.0)])
    assert decision is not None
    moves = {T.ROUTE_FALLBACK, T.KILL_SWITCH} & set(decision.actions)
    assert not moves or kind in HARM, decision.rules
    if kind in {"feature_drift", "prediction_drift", "confidence_drop"}:
        assert decision.actions == (() if level is W else EVIDENCE)


def test_the_drift_fallback_policy_opts_back_into_rerouting_on_confirmed_drift() -> None:
    drift = classify(DRIFT_FALLBACK_POLICY, [sig("feature_drift")])
    assert drift is not None
    assert (drift.rules, drift.actions) == (("sev2_drift_fallback",), FALLBACK)
    assert drift.policy_version != DEFAULT_POLICY.version
    warning = classify(DRIFT_FALLBACK_POLICY, [sig("feature_drift", W)])
    assert warning is not None
    assert warning.actions == ()
    names = [r.name for r in DRIFT_FALLBACK_POLICY.rules]
    assert names == [r.name.replace("drift_alarm", "drift_fallback") for r in DEFAULT_POLICY.rules]


def test_every_default_rule_is_exercised_above() -> None:
    assert {r.name for r in DEFAULT_POLICY.rules} == {
        "sev1_safety_privacy_outage",
        "sev1_critical_canary_pii",
        "sev1_toxic_outputs_many",
        "sev2_prompt_injection_campaign",
        "sev2_toxic_output",
        "sev2_runaway_generation",
        "sev3_generation",
        "sev3_topic_drift",
        "sev2_source_share_alarm",
        "sev2_degradation",
        "sev2_mapping_error",
        "sev2_integrity_breach",
        "sev2_integrity_investigate",
        "sev2_drift_alarm",
        "sev2_drift_agreement",
        "sev3_latency",
        "sev3_warning",
        "sev3_unlisted",
    }


def test_default_clocks_and_postmortem_flags_agree_with_the_transition_rules() -> None:
    for rule in DEFAULT_POLICY.rules:
        assert rule.postmortem is postmortem_required(rule.severity, rule.actions), rule.name
        assert (T.PAGE in rule.actions) is rule.page, rule.name
        assert rule.ack_within_s is not None
        contains = bool(set(rule.actions) - {T.SNAPSHOT, T.PAGE})
        assert (rule.contain_within_s is not None) is contains, rule.name
    assert sev.SEV1_HARM.ack_within_s == 900.0
    assert sev.SEV2_DRIFT_ALARM.ack_within_s == 3600.0
    assert sev.SEV2_DEGRADATION.contain_within_s == 4 * 3600.0
    assert sev.SEV3_WARNING.contain_within_s is None


def test_two_drift_kinds_warning_together_raise_sev3_to_sev2() -> None:
    signals = [sig("feature_drift", W), sig("prediction_drift", W, column=None)]
    decision = classify(DEFAULT_POLICY, signals)
    assert decision is not None
    assert decision.severity is Severity.SEV2
    assert decision.rules == ("sev2_drift_agreement",)
    assert decision.actions == (T.SNAPSHOT,)
    assert decision.signals == tuple(signals)


def test_one_drift_kind_on_two_columns_is_not_agreement() -> None:
    signals = [sig("feature_drift", W, column="a"), sig("feature_drift", W, column="b")]
    decision = classify(DEFAULT_POLICY, signals)
    assert decision is not None
    assert decision.severity is Severity.SEV3


def test_a_signal_claimed_by_an_earlier_rule_does_not_count_towards_agreement() -> None:
    decision = classify(DEFAULT_POLICY, [sig("feature_drift", AL), sig("confidence_drop", W)])
    assert decision is not None
    assert decision.rules == ("sev2_drift_alarm",)
    assert [s.kind for s in decision.signals] == ["feature_drift"]


def test_the_worst_severity_wins_over_all_signals() -> None:
    decision = classify(DEFAULT_POLICY, [sig("latency", W), sig("bias"), sig("pii_leak")])
    assert decision is not None
    assert decision.severity is Severity.SEV1
    assert [s.kind for s in decision.signals] == ["pii_leak"]


def test_rules_at_the_same_severity_merge_in_phase_order() -> None:
    signals = [sig("feature_drift"), sig("source_share", CR)]
    decision = classify(DEFAULT_POLICY, signals)
    assert decision is not None
    assert decision.rules == ("sev2_source_share_alarm", "sev2_drift_alarm")
    assert decision.actions == (T.SNAPSHOT, T.BLOCK_SOURCE)
    assert decision.postmortem is True


def test_merged_clocks_take_the_earliest_deadline() -> None:
    slow = SeverityRule("slow", SignalMatch(kinds=frozenset({"a"})), Severity.SEV2, (T.PAGE,),
                        True, 600.0, None)  # fmt: skip
    fast = SeverityRule("fast", SignalMatch(kinds=frozenset({"b"})), Severity.SEV2,
                        (T.ROUTE_FALLBACK, T.SNAPSHOT), False, 60.0, 300.0)  # fmt: skip
    decision = classify(SeverityPolicy("t1", (slow, fast)), [sig("a"), sig("b")])
    assert decision is not None
    assert decision.actions == (T.SNAPSHOT, T.ROUTE_FALLBACK, T.PAGE)
    assert (decision.ack_within_s, decision.contain_within_s, decision.page) == (60.0, 300.0, True)


def test_no_signals_no_decision() -> None:
    assert classify(DEFAULT_POLICY, []) is None


def test_no_matching_rule_no_decision() -> None:
    policy = SeverityPolicy("only-bias", (sev.SEV2_DEGRADATION,))
    assert classify(policy, [sig("feature_drift"), sig("latency", W)]) is None


@pytest.mark.parametrize(
    ("match", "signal", "covered"),
    [
        (SignalMatch(), sig("anything", W), True),
        (SignalMatch(min_value=0.5), sig("k", value=0.5), True),
        (SignalMatch(min_value=0.5), sig("k", value=0.49), False),
        (SignalMatch(models=frozenset({"churn"})), sig("k"), True),
        (SignalMatch(models=frozenset({"fraud"})), sig("k"), False),
        (SignalMatch(columns=frozenset({"age"})), sig("k", column="age"), True),
        (SignalMatch(columns=frozenset({"age"})), sig("k", column=None), False),
        (SignalMatch(monitors=frozenset({"psi"})), sig("k", monitor="ks"), False),
        (SignalMatch(levels=frozenset({CR})), sig("k", AL), False),
    ],
)
def test_signal_match_fields(match: SignalMatch, signal: Signal, covered: bool) -> None:
    assert match.covers(signal) is covered


def test_policy_and_match_validation() -> None:
    with pytest.raises(ValueError, match="version"):
        SeverityPolicy(" ", ())
    with pytest.raises(ValueError, match="unique"):
        SeverityPolicy("v", (sev.SEV3_LATENCY, sev.SEV3_LATENCY))
    with pytest.raises(ValueError, match="min_distinct_kinds"):
        SignalMatch(min_distinct_kinds=0)
