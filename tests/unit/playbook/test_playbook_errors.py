"""Malformed playbooks: one test per error class, each checking file:line:column and the message."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent

import pytest

from redline.playbook import MAX_BYTES, PlaybookError, Problem, load_playbook, parse_playbook

GOOD_MODEL = """\
models:
  credit:
    reference: reference.json
    primary: credit:v3
"""


def problems_of(text: str, env: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem of a playbook that must not load."""
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(dedent(text), source="redline.yaml", env=env or {})
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return caught.value.problems


def only_problem(text: str, env: Mapping[str, str] | None = None) -> Problem:
    """The single problem of a playbook with exactly one thing wrong."""
    found = problems_of(text, env)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_unknown_top_level_key_suggests_the_right_one() -> None:
    p = only_problem(GOOD_MODEL + "runbook:\n  SEV1: {}\n")
    assert (p.file, p.line, p.column) == ("redline.yaml", 5, 1)
    assert p.message == "unknown top-level key 'runbook' — did you mean 'runbooks'?"
    assert str(p).startswith("redline.yaml:5:1: unknown top-level key 'runbook'")
    assert "models" in p.hint


def test_unknown_action_suggests_the_right_one() -> None:
    p = only_problem(GOOD_MODEL + "runbooks:\n  SEV1:\n    actions: [snapshot, kil_switch]\n")
    assert str(p).startswith(
        "redline.yaml:7:25: unknown action 'kil_switch' — did you mean 'kill_switch'?"
    )
    assert "route_fallback" in p.hint


def test_unknown_action_in_mapping_form_points_at_its_name() -> None:
    text = (
        GOOD_MODEL + "runbooks:\n  SEV2:\n    actions:\n      - treshold_change: {threshold: 0.7}\n"
    )
    p = only_problem(text)
    assert (p.line, p.column) == (8, 9)
    assert p.message == "unknown action 'treshold_change' — did you mean 'threshold_change'?"


def test_unknown_monitor() -> None:
    p = only_problem(GOOD_MODEL + "    monitors:\n      latencyy: {factor: 3}\n")
    assert (p.line, p.column) == (6, 7)
    assert p.message == "unknown monitor 'latencyy' — did you mean 'latency'?"
    assert "numeric_drift" in p.hint


def test_unknown_monitor_setting() -> None:
    p = only_problem(GOOD_MODEL + "    monitors:\n      numeric_drift: {persistance: 3}\n")
    assert (p.line, p.column) == (6, 23)
    assert p.message == (
        "unknown setting 'persistance' for monitor 'numeric_drift' — did you mean 'persistence'?"
    )
    assert "min_rows" in p.hint


def test_bad_severity_name() -> None:
    p = only_problem(GOOD_MODEL + "runbooks:\n  SEV0:\n    page: true\n")
    assert (p.line, p.column) == (6, 3)
    assert p.message.startswith("unknown severity 'SEV0'")
    assert p.hint == "use one of: SEV1, SEV2, SEV3"


def test_bad_severity_in_a_rule() -> None:
    text = GOOD_MODEL + "severity:\n  rules:\n    - match: {kinds: [bias]}\n      severity: high\n"
    p = only_problem(text)
    assert (p.line, p.column) == (8, 17)
    assert p.message == "unknown severity 'high'"


def test_bad_duration() -> None:
    p = only_problem(GOOD_MODEL + "runbooks:\n  SEV1:\n    ack_within: 15 minutes\n")
    assert str(p).startswith("redline.yaml:7:17: invalid duration '15 minutes'")
    assert "'15m'" in p.hint
    assert "'2d'" in p.hint


def test_string_where_a_number_is_expected() -> None:
    p = only_problem(GOOD_MODEL + "    monitors:\n      latency: {slo_p95_ms: fast}\n")
    assert (p.line, p.column) == (6, 29)
    assert p.message.startswith("models.credit.monitors.latency.slo_p95_ms: input should be a")
    assert "number" in p.message
    assert "number" in p.hint


def test_model_without_reference() -> None:
    p = only_problem("models:\n  credit:\n    primary: credit:v3\n")
    assert (p.line, p.column) == (2, 3)
    assert p.message == "missing required key 'reference' in 'models.credit'"
    assert p.hint == "add 'reference: ...' here"


def test_duplicate_key() -> None:
    p = only_problem(GOOD_MODEL + "    primary: credit:v4\n")
    assert (p.line, p.column) == (5, 5)
    assert p.message == "duplicate key 'primary' (first written on line 4)"
    assert "only the last" in p.hint


def test_yaml_syntax_error_reports_its_own_position() -> None:
    p = only_problem("models:\n  credit:\n    reference: [a, b\n")
    assert (p.line, p.column) == (4, 1)
    assert p.message.startswith("invalid YAML: expected ',' or ']'")
    assert "indentation" in p.hint


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "redline.yaml"
    path.write_text("# nothing here yet\n", encoding="utf-8")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path, env={})
    assert str(caught.value) == (
        f"{path}:1:1: the playbook is empty. Fix: start with 'models:' and one model with "
        "'reference' and 'primary' (see examples/redline.yaml)"
    )


def test_top_level_that_is_not_a_mapping() -> None:
    p = only_problem("- models\n- runbooks\n")
    assert (p.line, p.column) == (1, 1)
    assert p.message == "the playbook must be a mapping of keys, not a list"


def test_unresolved_environment_variable() -> None:
    text = (
        GOOD_MODEL + "notifications:\n  oncall:\n    type: pagerduty\n    routing_key: ${PD_KEY}\n"
    )
    p = only_problem(text, env={"OTHER": "x"})
    assert (p.line, p.column) == (8, 18)
    assert p.message == "environment variable 'PD_KEY' is not set"
    assert "export PD_KEY=" in p.hint


def test_oversize_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(GOOD_MODEL + "#" * MAX_BYTES + "\n", encoding="utf-8")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path, env={})
    assert str(caught.value).startswith(
        f"{path}:1:1: the file is 1.0 MB; playbooks are limited to 1 MB"
    )
    with pytest.raises(PlaybookError, match="limited to 1 MB"):
        parse_playbook(GOOD_MODEL + "#" * MAX_BYTES, env={})


def test_unknown_channel_type() -> None:
    p = only_problem(GOOD_MODEL + "notifications:\n  team:\n    type: slak\n")
    assert (p.line, p.column) == (7, 11)
    assert p.message == "unknown channel type 'slak' — did you mean 'slack'?"


def test_snapshot_after_containment() -> None:
    p = only_problem(GOOD_MODEL + "runbooks:\n  SEV1:\n    actions: [kill_switch, snapshot]\n")
    assert (p.line, p.column) == (7, 28)
    assert p.message == "'snapshot' comes after 'kill_switch'"
    assert "evidence" in p.hint


def test_page_false_with_a_page_action() -> None:
    p = only_problem(GOOD_MODEL + "runbooks:\n  SEV2:\n    page: false\n    actions: [page]\n")
    assert (p.line, p.column) == (7, 11)
    assert p.message == "'page: false' but the actions include 'page'"


def test_duplicate_canary_names() -> None:
    text = GOOD_MODEL + (
        "    canaries:\n"
        "      - {name: a, input: {x: 1}, expected: 1}\n"
        "      - {name: a, input: {x: 2}, expected: 2}\n"
    )
    p = only_problem(text)
    assert (p.line, p.column) == (7, 16)
    assert p.message == "two canaries are named 'a'"


def test_aliases_expanding_without_bound_are_refused() -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    rows += [
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]" for p, c in zip("abcdef", "bcdefg", strict=True)
    ]
    p = only_problem("\n".join(rows) + "\n")
    assert (p.line, p.column) == (1, 1)
    assert "more than 1,000,000 values" in p.message


def test_python_tags_are_refused() -> None:
    p = only_problem("models: !!python/object/apply:os.system [echo hi]\n")
    assert (p.line, p.column) == (1, 9)
    assert p.message.startswith("invalid YAML: could not determine a constructor")


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="cannot read the playbook"):
        load_playbook(tmp_path / "missing.yaml", env={})
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"models:\n  caf\xe9: {}\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path, env={})
    assert str(caught.value).startswith(f"{path}:2:6: the file is not UTF-8 text")


def test_several_problems_are_reported_together_in_file_order() -> None:
    text = """\
    modles: {}
    models:
      credit:
        primary: credit:v3
        window_s: soon
    runbooks:
      SEV1:
        actions: [snapshot, kil_switch]
    notifications:
      oncall: {type: pagerduty, routing_key: "${PD_KEY}"}
    """
    found = problems_of(text)
    assert [(p.line, p.column) for p in found] == [(1, 1), (3, 3), (5, 15), (8, 25), (10, 42)]
    messages = [p.message for p in found]
    assert messages[0].startswith("unknown top-level key 'modles'")
    assert messages[1] == "missing required key 'reference' in 'models.credit'"
    assert messages[2] == "invalid duration 'soon'"
    assert messages[3].startswith("unknown action 'kil_switch'")
    assert messages[4] == "environment variable 'PD_KEY' is not set"


def test_secrets_never_appear_in_error_messages() -> None:
    secret = "xoxb-very-secret-token"
    text = GOOD_MODEL + (
        "    window_s: ${WINDOW}\n"
        "notifications:\n"
        "  team: {type: slack, webhook_url: '${SLACK_URL}', colour: red}\n"
        "  hook: {type: webhook, url: 'https://h.example', headers: {Authorization: '${TOKEN}'}}\n"
        "  pager: {type: pagerduty, routing_key: '${TOKEN}', severities: [SEV7]}\n"
    )
    env = {"SLACK_URL": secret, "TOKEN": secret, "WINDOW": secret}
    found = problems_of(text, env=env)
    assert len(found) == 4  # window_s, the URL, the unknown key, the unknown severity
    assert "this URL must start with http:// or https://" in [p.message for p in found]
    assert all(secret not in str(p) for p in found)


def test_a_short_environment_value_is_redacted_without_garbling_the_message() -> None:
    found = problems_of(GOOD_MODEL + "    window_s: ${WINDOW}\n    windw: 1\n", env={"WINDOW": "s"})
    messages = sorted(p.message for p in found)
    assert messages == [
        "invalid duration '${WINDOW}'",
        "unknown model key 'windw' — did you mean 'window_s'?",
    ]
