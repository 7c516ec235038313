"""``explain``: the playbook as Markdown, per model and severity, with no secret in it."""

from __future__ import annotations

import re
from pathlib import Path

from redline.playbook import explain, load_playbook, parse_playbook

FIVE_LINES = """\
models:
  credit:
    reference: reference.json
    primary: credit:v3
    fallback: rules:credit_fallback
"""
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "redline.yaml"
SECRETS = {
    "PAGERDUTY_ROUTING_KEY": "pd-routing-key-0123456789",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/slack-secret",
    "AUDIT_TOKEN": "audit-token-abcdef",
}


def _section(text: str, heading: str) -> str:
    """The lines under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    stop = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE).search(text, start + len(heading))
    return text[start : stop.start() if stop else len(text)]


def test_actions_per_severity_in_order() -> None:
    text = explain(parse_playbook(FIVE_LINES, env={}))
    sev1, sev2, sev3 = (_section(text, f"#### SEV{n}") for n in (1, 2, 3))
    assert re.findall(r"^  \d\. `(\w+)`", sev1, re.MULTILINE) == ["snapshot", "kill_switch", "page"]
    runbook2 = sev2.split("**Instead,")[0]
    assert re.findall(r"^  \d\. `(\w+)`", runbook2, re.MULTILINE) == ["snapshot", "route_fallback"]
    assert "- **Instead, for rule 5, in order:**\n  1. `snapshot`: take" in sev2
    assert "**Happens automatically:** nothing; the signal is logged and watched." in sev3
    assert "serve the fallback `rules:credit_fallback`" in sev1
    assert "**SLAs:** acknowledge within 15m, contain within 1h." in sev1
    assert "**Post-mortem:** required." in sev2
    assert "**Post-mortem:** not required." in sev3
    assert "**Paged:** no one yet (no notification channel listens to SEV1)." in sev1
    assert "**Paged:** no one." in sev2


def test_what_fires_each_severity_is_said_in_words() -> None:
    text = explain(parse_playbook(FIVE_LINES, env={}))
    sev1 = _section(text, "#### SEV1")
    assert (
        "rule 1: the signal kind is `canary_failure`, `pii_leak`, `canary_leak` or `outage`" in sev1
    )
    sev2 = _section(text, "#### SEV2")
    assert "rule 9: the signal kind is `performance_drop`, `bias` or `mapping_error`" in sev2
    assert "rule 13: any signal no earlier rule matched" in _section(text, "#### SEV3")


def test_example_names_the_watched_monitors_channels_and_canaries() -> None:
    text = explain(load_playbook(EXAMPLE, env=SECRETS))
    credit = _section(text, "## Model `credit`")
    assert "Every window of 5m:" in credit
    assert "| `numeric_drift` | `persistence=3` |" in credit
    assert "| `categorical_drift` | defaults |" in credit
    assert "Turned off: `source_share`." in credit
    assert "- `approve_clear_case` every 5m:" in credit
    sev1 = _section(credit, "#### SEV1")
    assert "**Paged:** `oncall` (PagerDuty), `ml-alerts` (Slack), `audit` (webhook)." in sev1
    sev2 = _section(credit, "#### SEV2")
    assert "`threshold_change`: send predictions below the confidence threshold" in sev2
    assert "(threshold=0.7)" in sev2
    assert "**Paged:** no one; for rule 4: `ml-alerts` (Slack), `audit` (webhook)." in sev2
    bot = _section(text, "## Model `support_bot`")
    assert "a safe response or a clear refusal (no fallback is configured)" in bot
    assert "None: containment is verified on route counts alone." in bot
    assert "- `oncall`: PagerDuty, for SEV1" in text
    assert "not legal advice" in text


def test_secrets_never_appear_in_explain_output() -> None:
    text = explain(load_playbook(EXAMPLE, env=SECRETS))
    for secret in SECRETS.values():
        assert secret not in text
    assert "hooks.example.com" not in text  # channel URLs are not shown at all
