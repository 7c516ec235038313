"""Valid playbooks: the documented defaults, overrides, severity rules and durations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydantic
import pytest
from pydantic_core import PydanticCustomError

import redline
from redline.domain import ActionType, Level, Severity, Signal
from redline.monitors.registry import REGISTRY, MonitorSuite
from redline.playbook import (
    ActionStep,
    PlaybookError,
    Runbook,
    format_duration,
    load_playbook,
    parse_duration,
    parse_playbook,
)

FIVE_LINES = """\
models:
  credit:
    reference: reference.json
    primary: credit:v3
    fallback: rules:credit_fallback
"""
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "redline.yaml"
EXAMPLE_ENV = {
    "PAGERDUTY_ROUTING_KEY": "pd-routing-key-0123456789",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/slack-secret",
    "AUDIT_TOKEN": "audit-token-abcdef",
}


def _signal(kind: str, level: Level = Level.WARNING, monitor: str = "numeric_drift") -> Signal:
    return Signal(monitor, kind, "x", "psi", 0.3, 0.2, level)


def _types(book: Runbook) -> list[str]:
    return [a.value for a in book.action_types]


def test_five_line_playbook_gets_the_documented_defaults() -> None:
    playbook = parse_playbook(FIVE_LINES, env={})
    model = playbook.models["credit"]
    assert (str(model.reference), model.primary, model.fallback) == (
        "reference.json",
        "credit:v3",
        "rules:credit_fallback",
    )
    assert (model.window_s, model.fail_mode, model.versions, model.canaries) == (60, "open", [], [])
    assert model.monitors.enabled() == {name: {} for name in REGISTRY}
    sev1, sev2, sev3 = (playbook.runbook(s) for s in Severity)
    assert _types(sev1) == ["snapshot", "kill_switch", "page"]
    assert (sev1.page, sev1.ack_within, sev1.contain_within, sev1.postmortem) == (
        True,
        900,
        3600,
        True,
    )
    assert _types(sev2) == ["snapshot", "route_fallback"]
    assert (sev2.page, sev2.ack_within, sev2.postmortem) == (False, 3600, True)
    assert (_types(sev3), sev3.page, sev3.postmortem) == ([], False, False)
    assert playbook.severity.version == "1"
    severities = ["SEV1", "SEV2", "SEV1", "SEV2", "SEV2", "SEV2", "SEV3", "SEV3"]
    severities += ["SEV2", "SEV2", "SEV2", "SEV3", "SEV3"]
    assert [r.severity for r in playbook.severity.rules] == severities
    assert (playbook.version, playbook.notifications, playbook.regulatory) == (1, {}, None)
    assert (playbook.review.threshold, playbook.review.serve) == (None, "fallback")


def test_the_example_playbook_loads() -> None:
    playbook = load_playbook(EXAMPLE, env=EXAMPLE_ENV)
    assert list(playbook.models) == ["credit", "support_bot"]
    credit = playbook.models["credit"]
    assert credit.window_s == 300
    assert "source_share" not in credit.monitors.enabled()
    assert credit.monitors.enabled()["latency"] == {"slo_p95_ms": 250.0, "slo_p99_ms": 800.0}
    assert playbook.notifications["oncall"].severities == [Severity.SEV1]
    headers = getattr(playbook.notifications["audit"], "headers", {})
    assert headers["Authorization"].get_secret_value() == "Bearer audit-token-abcdef"


def test_monitor_overrides_build_a_monitor_suite() -> None:
    playbook = parse_playbook(
        FIVE_LINES + "    monitors:\n      numeric_drift: {persistence: 3}\n      latency: false\n",
        env={},
    )
    config = playbook.models["credit"].monitors.enabled()
    assert config["numeric_drift"] == {"persistence": 3}
    assert "latency" not in config
    data = {"x": np.arange(500.0), "c": ["a", "b"] * 250}
    suite = MonitorSuite(redline.fit_reference(data, window_sizes=[100]), config)
    drift = next(m for m in suite.monitors if m.name == "numeric_drift")
    assert drift.params()["persistence"] == 3
    assert len(suite.monitors) == len(REGISTRY) - 1


def test_a_partial_runbook_keeps_its_severity_defaults() -> None:
    text = FIVE_LINES + "runbooks:\n  sev1: {ack_within: 5m}\n  SEV2: {page: true}\n"
    playbook = parse_playbook(text, env={})
    sev1, sev2 = playbook.runbook(Severity.SEV1), playbook.runbook(Severity.SEV2)
    assert (_types(sev1), sev1.ack_within, sev1.contain_within) == (
        ["snapshot", "kill_switch", "page"],
        300,
        3600,
    )
    assert (_types(sev2), sev2.page) == (["snapshot", "route_fallback", "page"], True)
    quiet = parse_playbook(FIVE_LINES + "runbooks:\n  SEV1: {page: false}\n", env={})
    assert _types(quiet.runbook(Severity.SEV1)) == ["snapshot", "kill_switch"]


def test_action_parameters_and_any_case_names() -> None:
    text = FIVE_LINES + (
        "runbooks:\n  SEV2:\n    actions:\n      - Snapshot\n"
        "      - threshold_change: {threshold: 0.7}\n      - input_filter:\n"
    )
    steps = parse_playbook(text, env={}).runbook(Severity.SEV2).actions
    assert [(s.type, s.params) for s in steps] == [
        (ActionType.SNAPSHOT, {}),
        (ActionType.THRESHOLD_CHANGE, {"threshold": 0.7}),
        (ActionType.INPUT_FILTER, {}),
    ]


def test_default_rules_classify_signals_in_order() -> None:
    policy = parse_playbook(FIVE_LINES, env={}).severity
    signals = [
        _signal("canary_failure", Level.CRITICAL),
        _signal("bias", Level.ALARM),
        _signal("feature_drift", Level.ALARM),
        _signal("feature_drift"),
        _signal("bias"),
    ]
    rules = [policy.rule_for(s) for s in signals]
    assert [r.severity if r else None for r in rules] == ["SEV1", "SEV2", "SEV2", "SEV3", "SEV3"]
    drift = rules[2]
    assert drift is not None
    assert [a.type.value for a in drift.actions or []] == ["snapshot"]


def test_rules_match_on_every_condition_and_may_match_nothing() -> None:
    text = FIVE_LINES + (
        "severity:\n  version: v7\n  rules:\n"
        "    - match: {monitors: [latency], levels: [critical], min_value: 500}\n"
        "      severity: SEV2\n      page: true\n"
    )
    playbook = parse_playbook(text, env={})
    rule = playbook.severity.rules[0]
    slow = Signal("latency", "latency", None, "p95_ms", 900.0, 250.0, Level.CRITICAL)
    assert playbook.severity.rule_for(slow) is rule
    assert playbook.severity.rule_for(_signal("latency", Level.CRITICAL, "latency")) is None
    assert playbook.severity.rule_for(_signal("feature_drift", Level.ALARM)) is None
    assert [a.type.value for a in playbook.actions(rule)] == ["snapshot", "route_fallback", "page"]


def test_durations_round_trip() -> None:
    assert [parse_duration(t) for t in ("90s", "15m", "1h", "2d", "1h30m", "45", 7)] == [
        90,
        900,
        3600,
        172_800,
        5400,
        45,
        7,
    ]
    assert [format_duration(s) for s in (90, 900, 3600, 172_800, 0)] == [
        "1m30s",
        "15m",
        "1h",
        "2d",
        "0s",
    ]
    for bad in ("15 minutes", "1.5h", "", "-5", True):
        with pytest.raises(PydanticCustomError, match="invalid duration"):
            parse_duration(bad)


def test_secrets_are_resolved_and_masked() -> None:
    playbook = load_playbook(EXAMPLE, env=EXAMPLE_ENV)
    pager = getattr(playbook.notifications["oncall"], "routing_key", None)
    assert pager is not None
    assert pager.get_secret_value() == EXAMPLE_ENV["PAGERDUTY_ROUTING_KEY"]
    shown = repr(playbook) + playbook.model_dump_json()
    assert all(secret not in shown for secret in EXAMPLE_ENV.values())


def test_playbooks_are_immutable_and_validate_from_python_too() -> None:
    playbook = parse_playbook(FIVE_LINES, env={})
    with pytest.raises(pydantic.ValidationError):
        playbook.version = 2  # type: ignore[misc]
    same = type(playbook).model_validate(
        {"models": {"credit": {"reference": "reference.json", "primary": "credit:v3"}}}
    )
    assert same.runbook(Severity.SEV1) == playbook.runbook(Severity.SEV1)


def test_problems_keep_their_message_when_raised_from_python() -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_playbook("models: [credit]\n", source="inline", env={})
    assert str(caught.value) == (
        "inline:1:9: models: expected a mapping. Fix: write a mapping: 'key: value' lines "
        "indented under this key"
    )


def test_runbooks_built_in_python_keep_page_and_actions_in_step() -> None:
    steps = [ActionStep(type=ActionType.SNAPSHOT), ActionStep(type=ActionType.PAGE)]
    assert Runbook(actions=steps, page=True).action_types == [ActionType.SNAPSHOT, ActionType.PAGE]
    assert Runbook.model_validate({"actions": ["Page"]}).page is True
    assert Runbook.model_validate({"page": True}).action_types == [ActionType.PAGE]
