"""End-to-end: ``redline playbook validate|explain`` through the redline app."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rltest.cli import cli_env
from rltest.cli import invoke_redline as run_script

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "redline.yaml"
SECRETS = {
    "PAGERDUTY_ROUTING_KEY": "pd-routing-key-0123456789",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/slack-secret",
    "AUDIT_TOKEN": "audit-token-abcdef",
}
BAD = """\
models:
  credit:
    primary: credit:v3
    window_s: soon
runbooks:
  SEV1:
    actions: [snapshot, kil_switch]
"""


def run_redline(*args: str | Path, secrets: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command with plain output; the example's secrets in the environment."""
    env = cli_env(("COLUMNS", *SECRETS), extra=SECRETS if secrets else None)
    return run_script(*args, env=env)


@pytest.fixture
def bad_playbook(tmp_path: Path) -> Path:
    """A playbook with three problems on three lines."""
    path = tmp_path / "redline.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_validate_a_good_playbook() -> None:
    done = run_redline("playbook", "validate", EXAMPLE)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok: 2 models\n", "")


def test_validate_a_bad_playbook_lists_every_problem_on_stderr(bad_playbook: Path) -> None:
    done = run_redline("playbook", "validate", bad_playbook)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0].startswith(
        f"Error: {bad_playbook}:2:3: missing required key 'reference' in 'models.credit'"
    )
    assert lines[1].startswith(f"Error: {bad_playbook}:4:15: invalid duration 'soon'")
    assert lines[2].startswith(
        f"Error: {bad_playbook}:7:25: unknown action 'kil_switch' — did you mean 'kill_switch'?"
    )
    assert lines[3:] == [f"3 problems in {bad_playbook}"]
    assert "Traceback" not in done.stderr


def test_validate_without_the_secrets_in_the_environment() -> None:
    done = run_redline("playbook", "validate", EXAMPLE, secrets=False)
    assert done.returncode == 2
    assert "environment variable 'PAGERDUTY_ROUTING_KEY' is not set" in done.stderr


def test_validate_a_missing_file(tmp_path: Path) -> None:
    done = run_redline("playbook", "validate", tmp_path / "nope.yaml")
    assert done.returncode == 2
    assert "cannot read the playbook" in done.stderr


def test_explain_prints_markdown_without_secrets() -> None:
    done = run_redline("playbook", "explain", EXAMPLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# Playbook\n")
    assert "#### SEV1" in done.stdout
    assert "  2. `kill_switch`: take `credit:v3` out of service" in done.stdout
    assert all(secret not in done.stdout + done.stderr for secret in SECRETS.values())


def test_explain_to_a_file(tmp_path: Path) -> None:
    output = tmp_path / "runbook.md"
    done = run_redline("playbook", "explain", EXAMPLE, "--output", output)
    assert (done.returncode, done.stdout) == (0, "")
    assert f"Wrote the explained playbook to {output}" in done.stderr
    assert output.read_text(encoding="utf-8") == run_redline("playbook", "explain", EXAMPLE).stdout


def test_explain_a_bad_playbook(bad_playbook: Path) -> None:
    done = run_redline("playbook", "explain", bad_playbook)
    assert (done.returncode, done.stdout) == (2, "")
    assert "unknown action 'kil_switch'" in done.stderr
