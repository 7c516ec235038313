"""ScannerPipeline: thresholds to actions, severity, cheap-first order, failures, redactions."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from redline.scanners import Action, Evidence, Finding, ScanContext, ScannerPipeline, most_severe
from redline.scanners.base import excerpt_of
from redline.scanners.redaction import apply_redactions

PROMPT = ScanContext("prompt")


@dataclass
class FixedScanner:
    """Returns a fixed finding and records that it ran."""

    name: str
    score: float
    cost: int = 10
    redacted: str | None = None
    evidence: tuple[Evidence, ...] = ()
    calls: int = 0

    def scan(self, text: str, context: ScanContext) -> Finding:
        self.calls += 1
        return Finding(self.name, self.score, self.evidence, self.redacted)


class BrokenScanner:
    name = "broken"
    cost = 0

    def scan(self, text: str, context: ScanContext) -> Finding:
        raise RuntimeError("model file missing")


def test_actions_are_ordered_by_severity() -> None:
    assert [a.severity for a in Action] == [0, 1, 2, 3]
    assert most_severe([Action.REDACT, Action.BLOCK, Action.REVIEW]) is Action.BLOCK
    assert most_severe([Action.REVIEW, Action.REDACT]) is Action.REVIEW
    assert most_severe([]) is Action.ALLOW


@pytest.mark.parametrize(
    ("score", "expected"), [(0.0, Action.ALLOW), (0.49, Action.ALLOW), (0.5, Action.BLOCK)]
)
def test_a_score_maps_through_its_threshold(score: float, expected: Action) -> None:
    pipeline = ScannerPipeline([FixedScanner("a", score)], {"a": (0.5, Action.BLOCK)})
    assert pipeline.scan("x", PROMPT).action is expected


def test_a_zero_score_never_acts_even_with_a_zero_threshold() -> None:
    pipeline = ScannerPipeline([FixedScanner("a", 0.0)], {"a": (0.0, Action.BLOCK)})
    assert pipeline.scan("x", PROMPT).action is Action.ALLOW


def test_unconfigured_scanners_send_to_review() -> None:
    verdict = ScannerPipeline([FixedScanner("a", 0.7)]).scan("x", PROMPT)
    assert verdict.action is Action.REVIEW
    assert verdict.flagged


def test_most_severe_action_wins_and_score_is_the_max() -> None:
    scanners = [FixedScanner("a", 0.6), FixedScanner("b", 0.9)]
    thresholds = {"a": (0.5, Action.BLOCK), "b": (0.5, Action.REVIEW)}
    verdict = ScannerPipeline(scanners, thresholds, stop_on_block=False).scan("x", PROMPT)
    assert (verdict.action, verdict.score) == (Action.BLOCK, 0.9)


def test_cheap_scanners_run_first_and_a_block_stops_the_rest() -> None:
    expensive, cheap = FixedScanner("slow", 0.0, cost=100), FixedScanner("fast", 1.0, cost=1)
    pipeline = ScannerPipeline([expensive, cheap], {"fast": (0.5, Action.BLOCK)})
    assert [s.name for s in pipeline.scanners] == ["fast", "slow"]
    verdict = pipeline.scan("x", PROMPT)
    assert verdict.action is Action.BLOCK
    assert expensive.calls == 0
    ScannerPipeline([expensive, cheap], {"fast": (0.5, Action.BLOCK)}, stop_on_block=False).scan(
        "x", PROMPT
    )
    assert expensive.calls == 1


def test_fail_open_records_the_error_and_ignores_the_scanner() -> None:
    verdict = ScannerPipeline([BrokenScanner(), FixedScanner("a", 0.0)], fail="open").scan(
        "x", PROMPT
    )
    assert verdict.action is Action.ALLOW
    error = verdict.findings[0]
    assert error.scanner == "broken.error"
    assert "model file missing" in error.evidence[0].excerpt


def test_fail_closed_blocks() -> None:
    verdict = ScannerPipeline([BrokenScanner()], fail="closed").scan("x", PROMPT)
    assert verdict.action is Action.BLOCK
    assert verdict.findings[0].scanner == "broken.error"


def test_an_unknown_fail_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="fail must be"):
        ScannerPipeline([], fail="sideways")  # type: ignore[arg-type]


def test_one_redaction_is_applied_verbatim() -> None:
    scanner = FixedScanner("pii", 0.9, redacted="mail <EMAIL_ADDRESS> now")
    verdict = ScannerPipeline([scanner], {"pii": (0.5, Action.REDACT)}).scan(
        "mail bob@example.com now", PROMPT
    )
    assert (verdict.action, verdict.text) == (Action.REDACT, "mail <EMAIL_ADDRESS> now")


def test_two_redactions_merge_into_one_text() -> None:
    text = "mail bob@example.com key AKIAIOSFODNN7EXAMPLE end"
    pii = FixedScanner("pii", 0.9, redacted="mail <EMAIL_ADDRESS> key AKIAIOSFODNN7EXAMPLE end")
    secret = FixedScanner("secrets", 0.9, redacted="mail bob@example.com key [SECRET] end")
    thresholds = {"pii": (0.5, Action.REDACT), "secrets": (0.5, Action.REDACT)}
    verdict = ScannerPipeline([pii, secret], thresholds).scan(text, PROMPT)
    assert verdict.text == "mail <EMAIL_ADDRESS> key [SECRET] end"


def test_evidence_spans_redact_when_a_scanner_gives_no_text() -> None:
    finding = Finding("x", 1.0, (Evidence("r", 4, 9, "12345"),))
    other = Finding("y", 1.0, (Evidence("r", 0, 3, "abc"),))
    assert apply_redactions("abc 12345 z", [finding, other]) == ("[REDACTED] [REDACTED] z", False)


def test_a_redaction_that_cannot_be_applied_blocks() -> None:
    scanner = FixedScanner("pii", 0.9)  # no redacted text, no evidence
    verdict = ScannerPipeline([scanner], {"pii": (0.5, Action.REDACT)}).scan("secret", PROMPT)
    assert (verdict.action, verdict.text) == (Action.BLOCK, "secret")


def test_a_block_keeps_the_original_text() -> None:
    pii = FixedScanner("pii", 0.9, redacted="<X>", cost=1)
    bad = FixedScanner("injection", 0.9, cost=2)
    thresholds = {"pii": (0.5, Action.REDACT), "injection": (0.5, Action.BLOCK)}
    verdict = ScannerPipeline([pii, bad], thresholds).scan("abc", PROMPT)
    assert (verdict.action, verdict.text) == (Action.BLOCK, "abc")


def test_excerpts_are_cut_to_80_characters() -> None:
    assert excerpt_of("a" * 200, 0, 200) == "a" * 79 + "…"
    assert excerpt_of("hello world", 6, 11) == "world"


def test_long_texts_merge_redactions_by_evidence_span() -> None:
    text = "a" * 30_000 + " bob@example.com AKIA0000 " + "b" * 10
    email_at, key_at = text.index("bob"), text.index("AKIA")
    email = Finding("pii", 1.0, (Evidence("EMAIL", email_at, email_at + 15, "b…"),), "x")
    key = Finding("secrets", 1.0, (Evidence("aws", key_at, key_at + 8, "A…"),), "y")
    redacted, failed = apply_redactions(text, [email, key])
    assert not failed
    assert redacted.endswith(" [REDACTED] [REDACTED] bbbbbbbbbb")


def test_a_verdict_serialises_its_scoring_and_failed_findings_only() -> None:
    scanners = [
        FixedScanner("a", 0.0),
        FixedScanner("b", 0.8, evidence=(Evidence("r", 0, 1, "x"),)),
    ]
    verdict = ScannerPipeline([*scanners, BrokenScanner()]).scan("x", PROMPT)
    data = verdict.to_dict()
    assert data["action"] == "review"
    assert [f["scanner"] for f in data["findings"]] == ["broken.error", "b"]
    assert data["findings"][1]["evidence"] == [{"rule": "r", "start": 0, "end": 1, "excerpt": "x"}]
