"""The optional ``redteam:`` section: per-family limits and probe files, validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from redline.playbook import PlaybookError, parse_playbook

MODELS = """\
models:
  chat:
    reference: reference.json
    primary: chat:v1
"""


def test_without_a_redteam_section_there_is_none() -> None:
    assert parse_playbook(MODELS).redteam is None


def test_limits_and_probe_files_are_read() -> None:
    text = MODELS + "redteam:\n  limits: {canary_extraction: 0, '*': 0.05}\n  probes: [mine.yaml]\n"
    config = parse_playbook(text).redteam
    assert config is not None
    assert config.limits == {"canary_extraction": 0.0, "*": 0.05}
    assert config.probes == [Path("mine.yaml")]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("redteam:\n  limits: {jailbreak: 1.5}\n", "less than or equal to 1"),
        ("redteam:\n  limit: {jailbreak: 0.1}\n", "unknown redteam key 'limit'"),
    ],
)
def test_bad_redteam_sections_are_problems(section: str, message: str) -> None:
    with pytest.raises(PlaybookError, match=message):
        parse_playbook(MODELS + section)
