"""The playbook's leak_canaries section: validated, and added to without touching the rest."""

from __future__ import annotations

import pytest

from redline.playbook import PlaybookError, parse_playbook
from redline.playbook.leak_canaries import with_leak_canary

BASE = "models:\n  bot: {reference: r.json, primary: 'app:f'}  # keep me\n"
TOKEN, OTHER = "RL-CANARY-00112233aabbccdd", "RL-CANARY-ffeeddccbbaa9988"


def test_a_playbook_without_canaries_has_an_empty_section() -> None:
    assert parse_playbook(BASE, env={}).leak_canaries == {}


def test_a_section_is_added_at_the_end_when_there_is_none() -> None:
    text, playbook = with_leak_canary(BASE, TOKEN, "system prompt", env={})
    assert text.startswith(BASE)
    assert playbook.leak_canaries == {TOKEN: "system prompt"}


@pytest.mark.parametrize(
    "section",
    [
        f"leak_canaries:  # planted\n  {OTHER}: faq\n",
        f"leak_canaries:\n    {OTHER}: faq\n\n# trailing note\n",
    ],
)
def test_a_new_canary_goes_last_in_the_block_at_its_indent(section: str) -> None:
    text, playbook = with_leak_canary(BASE + section, TOKEN, 'doc "7"', env={})
    assert list(playbook.leak_canaries.items()) == [(OTHER, "faq"), (TOKEN, 'doc "7"')]
    assert "# keep me" in text


def test_an_empty_flow_section_becomes_a_block() -> None:
    _, playbook = with_leak_canary(BASE + "leak_canaries: {}\n", TOKEN, "rag", env={})
    assert playbook.leak_canaries == {TOKEN: "rag"}


def test_a_one_line_section_is_refused_with_its_line() -> None:
    with pytest.raises(PlaybookError) as caught:
        with_leak_canary(BASE + f"leak_canaries: {{{OTHER}: faq}}\n", TOKEN, "rag", env={})
    assert caught.value.problems[0].line == 3


def test_an_empty_place_is_a_problem() -> None:
    with pytest.raises(PlaybookError):
        parse_playbook(BASE + f"leak_canaries:\n  {TOKEN}: ''\n", env={})
