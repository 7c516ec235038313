"""The scanner contract: text in, a scored `Finding` with evidence out; actions and verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

from redline.scanners.redaction import apply_redactions

__all__ = [
    "DEFAULT_THRESHOLD",
    "EXCERPT_CHARS",
    "Action",
    "Direction",
    "Evidence",
    "FailMode",
    "Finding",
    "ScanContext",
    "Scanner",
    "ScannerPipeline",
    "Verdict",
    "excerpt_of",
    "most_severe",
]

# Evidence excerpts stay short so that a verdict can be logged and stored whole.
EXCERPT_CHARS = 80

Direction = Literal["prompt", "output"]
FailMode = Literal["open", "closed"]


class Action(StrEnum):
    """What to do with a text, in increasing severity: allow < redact < review < block."""

    ALLOW = "allow"
    REDACT = "redact"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        """Rank of this action: 0 for allow up to 3 for block."""
        return _SEVERITY[self]


_SEVERITY = {Action.ALLOW: 0, Action.REDACT: 1, Action.REVIEW: 2, Action.BLOCK: 3}


def most_severe(actions: Iterable[Action]) -> Action:
    """Return the most severe of `actions` (allow when there are none)."""
    return max(actions, key=_SEVERITY.__getitem__, default=Action.ALLOW)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One rule match: which rule, and where in the *original* text (``text[start:end]``)."""

    rule: str
    start: int
    end: int
    excerpt: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A scanner's result: score in [0, 1] (0 = nothing found), evidence, optional redaction."""

    scanner: str
    score: float
    evidence: tuple[Evidence, ...] = ()
    redacted: str | None = None


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What a scanner knows besides the text: direction, system prompt, planted canaries."""

    direction: Direction
    system_prompt: str | None = None
    # canary token -> where it was planted ("system prompt", "rag:doc-17", ...)
    canaries: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Scanner(Protocol):
    """Anything with a `name` and a pure `scan(text, context) -> Finding`."""

    name: str

    def scan(self, text: str, context: ScanContext) -> Finding:
        """Scan `text`; the finding's score is in [0, 1] and 0 means nothing was found."""
        ...


@dataclass(frozen=True, slots=True)
class Verdict:
    """The pipeline's decision: action, fused score, every finding, the text to pass on."""

    action: Action
    score: float
    findings: tuple[Finding, ...]
    text: str

    @property
    def flagged(self) -> bool:
        """True when the action is anything but allow."""
        return self.action is not Action.ALLOW

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: action, score, text passed on, findings that scored or failed."""
        findings = [
            {
                "scanner": f.scanner,
                "score": round(f.score, 4),
                "evidence": [
                    {"rule": e.rule, "start": e.start, "end": e.end, "excerpt": e.excerpt}
                    for e in f.evidence
                ],
            }
            for f in self.findings
            if f.score > 0 or f.scanner.endswith(".error")
        ]
        return {
            "action": str(self.action),
            "score": round(self.score, 4),
            "text": self.text,
            "findings": findings,
        }


def excerpt_of(text: str, start: int, end: int) -> str:
    """Return ``text[start:end]`` cut to `EXCERPT_CHARS` characters (with an ellipsis)."""
    span = text[start:end]
    if len(span) <= EXCERPT_CHARS:
        return span
    return span[: EXCERPT_CHARS - 1] + "…"


# A scanner without a configured threshold sends what it finds to a human rather than blocking.
DEFAULT_THRESHOLD: tuple[float, Action] = (0.5, Action.REVIEW)
# Scanners may declare a `cost` (relative, lower runs first); unknown costs run last.
_UNKNOWN_COST = 1_000


class ScannerPipeline:
    """Run scanners cheapest first, map scores to actions, fuse to one `Verdict`."""

    def __init__(
        self,
        scanners: Sequence[Scanner],
        thresholds: Mapping[str, tuple[float, Action]] | None = None,
        fail: FailMode = "open",
        *,
        stop_on_block: bool = True,
    ) -> None:
        if fail not in ("open", "closed"):
            raise ValueError(f"fail must be 'open' or 'closed', not {fail!r}")
        self.scanners = tuple(sorted(scanners, key=lambda s: getattr(s, "cost", _UNKNOWN_COST)))
        self.thresholds = dict(thresholds or {})
        self.fail = fail
        self.stop_on_block = stop_on_block

    def action_for(self, finding: Finding) -> Action:
        """Map one finding's score through its scanner's threshold to an action."""
        threshold, action = self.thresholds.get(finding.scanner, DEFAULT_THRESHOLD)
        return action if finding.score > 0 and finding.score >= threshold else Action.ALLOW

    def scan(self, text: str, context: ScanContext) -> Verdict:
        """Scan `text`; redactions apply unless the verdict blocks (then `text` is the original)."""
        findings: list[Finding] = []
        actions: list[Action] = []
        for scanner in self.scanners:
            try:
                finding = scanner.scan(text, context)
            # A scanner's own failure must not take the request down: fail open or closed as set.
            except Exception as exc:
                finding, action = self._failed(scanner.name, exc)
            else:
                action = self.action_for(finding)
            findings.append(finding)
            actions.append(action)
            if action is Action.BLOCK and self.stop_on_block:
                break
        verdict_action = most_severe(actions)
        redacting = [f for f, a in zip(findings, actions, strict=True) if a is Action.REDACT]
        out_text = text
        if redacting and verdict_action is not Action.BLOCK:
            out_text, unredactable = apply_redactions(text, redacting)
            if unredactable:
                verdict_action = Action.BLOCK
                out_text = text
        score = max((f.score for f in findings if not f.scanner.endswith(".error")), default=0.0)
        return Verdict(verdict_action, score, tuple(findings), out_text)

    def _failed(self, name: str, exc: Exception) -> tuple[Finding, Action]:
        message = f"{type(exc).__name__}: {exc}"
        evidence = Evidence("error", 0, 0, message[:EXCERPT_CHARS])
        if self.fail == "closed":
            return Finding(f"{name}.error", 1.0, (evidence,)), Action.BLOCK
        return Finding(f"{name}.error", 0.0, (evidence,)), Action.ALLOW
