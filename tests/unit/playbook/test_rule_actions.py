"""Per-rule ``actions:``: a severity rule's own action list replaces its runbook's."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
import yaml

from redline.domain import DEFAULT_POLICY, ActionType, Level, Severity, Signal
from redline.domain.severity import classify
from redline.playbook import PlaybookError, explain, parse_playbook
from redline.services.response import ResponsePlan

MODEL = """\
models:
  credit:
    reference: reference.json
    primary: credit:v3
    fallback: rules:credit_fallback
"""
RULES = MODEL + dedent(
    """\
    severity:
      rules:
        - match: {kinds: [canary_failure]}
          severity: SEV1
          actions: [snapshot, rollback, page]
        - match: {kinds: [source_share]}
          severity: SEV2
          actions: [snapshot, block_source]
        - match: {kinds: [confidence_drop]}
          severity: SEV2
          actions:
            - threshold_change: {threshold: 0.8}
        - match: {kinds: [latency]}
          severity: SEV2
          actions: []
        - match: {levels: [alarm, critical]}
          severity: SEV2
        - match: {}
          severity: SEV3
    """
)
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "redline.yaml"


def _signal(kind: str, level: Level = Level.ALARM) -> Signal:
    return Signal("m", kind, "x", "s", 1.0, 0.5, level)


def _decide(text: str, *signals: Signal) -> tuple[Severity, list[str]]:
    plan = ResponsePlan.from_playbook(parse_playbook(text, env={}))
    decision = classify(plan.policy, signals)
    assert decision is not None
    return decision.severity, [a.value for a in decision.actions]


def _problem(text: str) -> str:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, source="redline.yaml", env={})
    (problem,) = caught.value.problems
    return str(problem)


def test_a_rule_with_actions_runs_them_instead_of_the_runbook() -> None:
    sev1 = _decide(RULES, _signal("canary_failure", Level.CRITICAL))
    assert sev1 == (Severity.SEV1, ["snapshot", "rollback", "page"])
    assert _decide(RULES, _signal("source_share")) == (Severity.SEV2, ["snapshot", "block_source"])


def test_rules_without_actions_keep_the_runbook() -> None:
    assert _decide(RULES, _signal("feature_drift")) == (
        Severity.SEV2,
        ["snapshot", "route_fallback"],
    )


def test_an_empty_action_list_means_watch_only() -> None:
    assert _decide(RULES, _signal("latency")) == (Severity.SEV2, [])


def test_rules_of_one_severity_firing_together_run_both_lists() -> None:
    severity, actions = _decide(RULES, _signal("source_share"), _signal("feature_drift"))
    assert (severity, actions) == (Severity.SEV2, ["snapshot", "block_source", "route_fallback"])


def test_a_rules_action_parameters_reach_the_plan() -> None:
    plan = ResponsePlan.from_playbook(parse_playbook(RULES, env={}))
    params = plan.action_params(Severity.SEV2, ActionType.THRESHOLD_CHANGE)
    assert params == {"threshold": 0.8}


def test_page_true_on_a_rule_with_actions_adds_the_page() -> None:
    text = MODEL + dedent(
        """\
        severity:
          rules:
            - match: {}
              severity: SEV2
              page: true
              actions: [snapshot, route_fallback]
        """
    )
    rule = parse_playbook(text, env={}).severity.rules[0]
    assert [a.type.value for a in rule.actions or []] == ["snapshot", "route_fallback", "page"]
    assert rule.page is True


def test_page_false_with_a_page_action_is_refused_at_its_line() -> None:
    text = MODEL + dedent(
        """\
        severity:
          rules:
            - match: {}
              severity: SEV1
              page: false
              actions: [snapshot, page]
        """
    )
    assert _problem(text).startswith(
        "redline.yaml:10:13: 'page: false' but the actions include 'page'"
    )


def test_containment_before_the_snapshot_is_refused_at_its_line() -> None:
    text = MODEL + dedent(
        """\
        severity:
          rules:
            - match: {}
              severity: SEV1
              actions: [rollback, snapshot]
        """
    )
    assert _problem(text).startswith("redline.yaml:10:27: 'snapshot' comes after 'rollback'")


def test_two_rules_of_one_severity_must_agree_on_parameters() -> None:
    text = MODEL + dedent(
        """\
        severity:
          rules:
            - match: {kinds: [a]}
              severity: SEV2
              actions: [{threshold_change: {threshold: 0.7}}]
            - match: {kinds: [b]}
              severity: SEV2
              actions: [{threshold_change: {threshold: 0.9}}]
        """
    )
    found = _problem(text)
    assert found.startswith("redline.yaml:13:17: two SEV2 rules give 'threshold_change'")
    assert "give both rules the same ones" in found


def test_explain_lists_a_rules_own_actions() -> None:
    text = explain(parse_playbook(RULES, env={}))
    assert "rule 1: the signal kind is `canary_failure` (with actions of its own, below)" in text
    assert "- **Instead, for rule 1, in order:**" in text
    assert "`rollback`: roll back to the previously deployed version" in text
    assert "- **Instead, for rule 4:** nothing; the signal is logged and watched." in text


def test_playbooks_without_rule_actions_mean_what_they_meant() -> None:
    env = {
        "PAGERDUTY_ROUTING_KEY": "pd-key",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x",
        "AUDIT_TOKEN": "t",
    }
    body = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for rule in body["severity"]["rules"]:  # the example as written before rules had actions
        rule.pop("actions", None)
    playbook = parse_playbook(yaml.safe_dump(body), source="redline.yaml", env=env)
    for rule in playbook.severity.rules:
        assert rule.actions is None
        assert rule.steps(playbook.runbook(rule.severity)) == playbook.actions(rule)
    assert "Instead, for rule" not in explain(playbook)


KINDS = ["feature_drift", "prediction_drift", "confidence_drop", "performance_drop", "bias",
         "mapping_error", "out_of_range", "null_jump", "type_violation", "missing_column",
         "unseen_categories", "source_share", "latency", "canary_failure", "pii_leak",
         "canary_leak", "outage", "external_alert", "prompt_injection", "toxic_output",
         "generation_loop", "token_spike", "cost_spike"]  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize("value", [0.1, 0.9])
def test_a_playbook_without_rules_responds_like_the_built_in_policy(
    kind: str, level: Level, value: float
) -> None:
    signal = Signal("m", kind, "x", "s", value, 0.05, level)
    built_in = classify(DEFAULT_POLICY, [signal])
    assert built_in is not None
    assert _decide(MODEL, signal) == (built_in.severity, [a.value for a in built_in.actions])


def test_watch_only_rules_carry_no_containment_clock() -> None:
    rules = {
        r.name: r for r in ResponsePlan.from_playbook(parse_playbook(MODEL, env={})).policy.rules
    }
    assert rules["playbook rule 9"].contain_within_s == 4 * 3600.0  # performance: falls back
    assert rules["playbook rule 11"].actions == (ActionType.SNAPSHOT,)  # drift: evidence only
    assert rules["playbook rule 11"].contain_within_s is None
