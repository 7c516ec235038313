"""End-to-end: ``redline canary new`` records a token in the playbook, ``list`` reads it back,
and an LLMGuard given that playbook names the place when the token leaks."""

from __future__ import annotations

import json
from pathlib import Path

from rltest.cli import invoke_redline, run_redline

PLAYBOOK = """\
# the support bot's playbook
models:
  bot:
    reference: ref.json  # fitted on last week's calls
    primary: app:predict
"""


def test_new_prints_a_token_records_where_and_keeps_the_comments(tmp_path: Path) -> None:
    path = tmp_path / "redline.yaml"
    path.write_text(PLAYBOOK, encoding="utf-8")
    first = run_redline("canary", "new", "--where", "system prompt", "--playbook", path)
    assert first.returncode == 0, first.stderr
    token = first.stdout.strip()
    assert token.startswith("RL-CANARY-")
    assert len(token) == len("RL-CANARY-") + 16
    second = invoke_redline("canary", "new", "--where", "doc 42: refunds", "--playbook", path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(PLAYBOOK)  # comments and order untouched
    listed = invoke_redline("canary", "list", "--json", "--playbook", path)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows == [
        {"token": token, "where": "system prompt"},
        {"token": second.stdout.strip(), "where": "doc 42: refunds"},
    ]


def test_new_refuses_a_missing_playbook_or_an_empty_place(tmp_path: Path) -> None:
    missing = invoke_redline("canary", "new", "--where", "x", "--playbook", tmp_path / "no.yaml")
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
    path = tmp_path / "redline.yaml"
    path.write_text(PLAYBOOK, encoding="utf-8")
    blank = invoke_redline("canary", "new", "--where", "  ", "--playbook", path)
    assert blank.returncode == 2
    assert "needs a place" in blank.stderr
    assert path.read_text(encoding="utf-8") == PLAYBOOK


def test_list_shows_a_table(tmp_path: Path) -> None:
    path = tmp_path / "redline.yaml"
    path.write_text(PLAYBOOK + "leak_canaries:\n  RL-CANARY-00112233aabbccdd: faq doc\n", "utf-8")
    result = invoke_redline("canary", "list", "--playbook", path)
    assert result.returncode == 0, result.stderr
    assert "RL-CANARY-00112233aabbccdd" in result.stdout
    assert "faq doc" in result.stdout
