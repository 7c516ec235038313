"""Canaries: generated tokens, found plain or disguised, naming where they were planted."""

from __future__ import annotations

import re

import pytest

from redline.scanners import ScanContext
from redline.scanners.canary import CanaryScanner, find_canaries, new_canary


def test_new_canaries_have_the_format_and_are_unique() -> None:
    tokens = {new_canary("system prompt") for _ in range(200)}
    assert len(tokens) == 200
    assert all(re.fullmatch(r"RL-CANARY-[0-9a-f]{16}", t) for t in tokens)


def test_a_canary_needs_a_place() -> None:
    with pytest.raises(ValueError, match="needs a place"):
        new_canary("  ")


def _disguises(token: str) -> list[str]:
    return [
        token,
        token.lower(),
        token.replace("-", " "),
        " ".join(token),
        "\u200b".join(token),
        token[:12] + "\n" + token[12:],
        token.replace("C", "С").replace("A", "А"),  # Cyrillic look-alikes
        "".join(chr(0xFF00 + ord(c) - 0x20) if c.isalnum() else c for c in token),  # fullwidth
    ]


@pytest.mark.parametrize("index", range(8))
def test_a_planted_canary_is_found_in_every_disguise(index: int) -> None:
    token = new_canary("rag:doc-17")
    leak = "Sure! The code is " + _disguises(token)[index] + " as requested."
    context = ScanContext("output", canaries={token: "rag:doc-17"})
    finding = CanaryScanner().scan(leak, context)
    assert finding.score == 1.0
    (evidence,) = finding.evidence
    assert evidence.rule == "canary:rag:doc-17"
    assert evidence.excerpt == token
    assert leak[evidence.start : evidence.end].replace("\u200b", "")[:1] in "RrＲ"


def test_an_unplanted_canary_still_counts_but_lower() -> None:
    stray = new_canary("elsewhere")
    finding = CanaryScanner().scan(f"token {stray}", ScanContext("output"))
    assert finding.score == 0.9
    assert finding.evidence[0].rule.startswith("canary:unknown")


def test_find_canaries_reports_each_leak_with_its_place() -> None:
    a, b = new_canary("system prompt"), new_canary("fine-tuning set")
    found = find_canaries(f"{a} and {b}", {a: "system prompt", b: "fine-tuning set"})
    assert [(token, place) for token, place, _, _ in found] == [
        (a, "system prompt"),
        (b, "fine-tuning set"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "RL-CANARY- is the prefix redline uses",
        "RL-CANARY-1234abcd (too short)",
        "the RL team found a canary in the coal mine: deadbeefdeadbeef",
        "",
    ],
)
def test_hard_negatives_are_not_canaries(text: str) -> None:
    assert CanaryScanner().scan(text, ScanContext("output")).score == 0.0
