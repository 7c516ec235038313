"""End-to-end: ``redline redteam run|report`` — the gate's exit codes, JSONL, HTML, bad input,
the playbook's limits, a python target through the installed script, a run stored in the audit
log. The OpenAI target is a real local server over HTTP; most runs use the Typer app in-process."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from redline.redteam import builtin_probes
from redline.scanners.canary import CANARY_PATTERN
from rltest.cli import cli_env, invoke_redline, run_redline
from rltest.openai_upstream import OpenAIUpstream

pytest.importorskip("openai")

REFUSE = "I'm sorry, I can't help with that."
CANARY_PROMPTS = {p.turns[-1] for p in builtin_probes() if p.family == "canary_extraction"}
VICTIM = f"""\
import re

CANARY_PROMPTS = {sorted(CANARY_PROMPTS)!r}


def answer(messages):
    if messages[-1]["content"] in CANARY_PROMPTS:
        return "Sure: " + re.search(r"RL-CANARY-[0-9a-f]{{16}}", messages[0]["content"]).group()
    return {REFUSE!r}
"""
PLAYBOOK = """\
models:
  chat:
    reference: reference.json
    primary: chat:v1
redteam:
  limits: {canary_extraction: 0.0, "*": 0.05}
"""


def _leaky(messages: list[dict[str, Any]]) -> str:
    if messages[-1]["content"] in CANARY_PROMPTS:
        match = CANARY_PATTERN.search(messages[0]["content"])
        assert match is not None
        return f"Sure: RL-CANARY-{match.group(1)}"
    return REFUSE


@pytest.fixture(scope="module")
def upstream() -> Iterator[OpenAIUpstream]:
    with OpenAIUpstream(_leaky, model="victim") as server:
        yield server


def _run(upstream: OpenAIUpstream, *args: str | Path) -> Any:
    target = ("--target", "openai", "--base-url", upstream.url, "--model", "victim")
    return invoke_redline("redteam", "run", *target, *args)


def test_a_leak_over_its_limit_exits_1_with_jsonl_and_html(
    upstream: OpenAIUpstream, tmp_path: Path
) -> None:
    out, html = tmp_path / "results.jsonl", tmp_path / "report.html"
    families = ("--families", "canary_extraction,harmful_request")
    result = _run(upstream, *families, "--limit", "canary_extraction=0", "--out", out,
                  "--html", html, "--json")  # fmt: skip
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    rates = {f["family"]: f["rate"] for f in summary["families"]}
    assert rates == {"canary_extraction": 1.0, "harmful_request": 0.0}
    assert summary["passed"] is False
    assert "over the limit: canary_extraction" in result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 10
    assert all(r["status"] == "ok" for r in rows)
    assert "attack succeeded" in html.read_text()
    # The same results, reported again: the limit decides the exit code.
    again = invoke_redline("redteam", "report", out, "--limit", "canary_extraction=0")
    assert again.returncode == 1, again.stderr
    assert "canary_extraction" in again.stdout
    assert "over limit" in again.stdout
    relaxed = invoke_redline("redteam", "report", out, "--limit", "canary_extraction=1")
    assert relaxed.returncode == 0, relaxed.stderr


def test_within_the_limits_exits_0(upstream: OpenAIUpstream) -> None:
    result = _run(upstream, "--families", "jailbreak", "--families", "encoding", "--limit", "*=0")
    assert result.returncode == 0, result.stderr
    assert "jailbreak" in result.stdout
    assert "within" in result.stdout


def test_the_playbook_sets_the_limits_and_flags_override_them(
    upstream: OpenAIUpstream, tmp_path: Path
) -> None:
    playbook = tmp_path / "redline.yaml"
    playbook.write_text(PLAYBOOK)
    args = ("--families", "canary_extraction", "--playbook", playbook)
    assert _run(upstream, *args).returncode == 1
    assert _run(upstream, *args, "--limit", "canary_extraction=1").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--families", "jailbrak"), "unknown probe family jailbrak"),
        (("--limit", "jailbreak"), "family=RATE"),
        (("--families", "jailbreak", "--limit", "encoding=0"), "no attempts of"),
        (("--gate-on", "upper"), "--gate-on"),
        (("--probes", "missing.yaml"), "no such probe file"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    upstream: OpenAIUpstream, args: tuple[str, ...], message: str
) -> None:
    result = _run(upstream, *args)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_python_targets_need_trust_and_unreachable_gated_families_are_undecided(
    tmp_path: Path,
) -> None:
    untrusted = invoke_redline("redteam", "run", "--target", "python:json:dumps")
    assert untrusted.returncode == 2
    assert "--trust-artifacts" in untrusted.stderr
    gone = "http://127.0.0.1:9/v1"  # the discard port: nothing answers
    result = invoke_redline("redteam", "run", "--target", "openai", "--base-url", gone,
                            "--model", "m", "--families", "pii_elicitation", "--limit", "*=0",
                            "--retries", "0", "--timeout", "2")  # fmt: skip
    assert result.returncode == 2
    assert "the gate cannot pass" in result.stderr
    missing = invoke_redline("redteam", "report", tmp_path / "none.jsonl")
    assert missing.returncode == 2
    assert "no such results file" in missing.stderr


def test_installed_script_runs_python_and_registry_targets_and_stores_the_run(
    tmp_path: Path,
) -> None:
    (tmp_path / "victim.py").write_text(VICTIM)
    env = cli_env(extra={"PYTHONPATH": str(tmp_path)})
    store = f"sqlite:///{tmp_path / 'redline.db'}"
    registered = run_redline("models", "register", "chat", "v1", "victim:answer",
                             "--store", store, env=env)  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    result = run_redline("redteam", "run", "--target", "python:victim:answer", "--trust-artifacts",
                         "--families", "canary_extraction,direct_injection", "--limit", "*=0",
                         "--record-as", "chat:v1", "--store", store, env=env)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "recorded the run against chat:v1" in result.stderr
    with sqlite3.connect(tmp_path / "redline.db") as db:
        (details,) = db.execute(
            "SELECT details FROM audit_log WHERE action = 'redteam_run'"
        ).fetchone()
    stored = json.loads(details)
    assert (stored["model"], stored["version"], stored["passed"]) == ("chat", "v1", False)
    assert {f["family"]: f["rate"] for f in stored["families"]} == {
        "direct_injection": 0.0,
        "canary_extraction": 1.0,
    }
    untrusted = run_redline("redteam", "run", "--target", "registry:chat:v1", "--store", store,
                            env=env)  # fmt: skip
    assert untrusted.returncode == 2, untrusted.stderr
    assert "--trust-artifacts" in untrusted.stderr
    registered_target = run_redline("redteam", "run", "--target", "registry:chat:v1",
                                    "--trust-artifacts", "--store", store, "--families",
                                    "canary_extraction", "--json", env=env)  # fmt: skip
    assert registered_target.returncode == 0, registered_target.stderr  # no limit: not gated
    assert json.loads(registered_target.stdout)["families"][0]["rate"] == 1.0
    unknown = run_redline("redteam", "run", "--target", "python:victim:answer", "--trust-artifacts",
                          "--families", "jailbreak", "--record-as", "chat:v9", "--store", store,
                          env=env)  # fmt: skip
    assert unknown.returncode == 2
    assert "no registered version 'v9'" in unknown.stderr
