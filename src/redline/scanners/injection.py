"""Prompt-injection and jailbreak rules on normalised text, with an allowlist and fused weights."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from redline.scanners.base import Evidence, Finding, ScanContext, excerpt_of
from redline.scanners.engine import CompiledPattern, PatternSet, compile_builtin, compile_user
from redline.scanners.injection_rules import BUILTIN_RULES, Rule
from redline.scanners.normalize import normalize

__all__ = ["AllowEntry", "InjectionScanner", "RuleHit", "RuleMatcher", "fuse"]


def fuse(weights: Iterable[float]) -> float:
    """Noisy-OR of independent rule weights: ``1 - prod(1 - w)``, 0 when there are none.

    Examples
    --------
    >>> round(fuse([0.5, 0.5]), 2)
    0.75
    >>> fuse([])
    0.0
    """
    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    return 1.0 - miss


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule matching a span of the text it ran on."""

    rule: Rule
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """Suppresses the listed rules (all when empty) wherever `phrase` overlaps their match.

    A phrase is matched literally and case-insensitively; with ``pattern=True`` it is a
    regular expression and needs RE2.
    """

    phrase: str
    rules: frozenset[str] = frozenset()
    pattern: bool = False


class RuleMatcher:
    """Compiled rules plus allowlist; `hits(text)` returns the surviving matches."""

    def __init__(
        self,
        rules: Sequence[Rule] = BUILTIN_RULES,
        *,
        extra_rules: Sequence[Rule] = (),
        allowlist: Sequence[AllowEntry] = (),
    ) -> None:
        compiled = [(r, compile_builtin(r.pattern)) for r in rules]
        compiled += [(r, compile_user(r.pattern)) for r in extra_rules]
        self.rules: tuple[tuple[Rule, CompiledPattern], ...] = tuple(compiled)
        self.allowlist = tuple((entry, _compile_allow(entry)) for entry in allowlist)
        # One RE2 pass says which rules match at all; only those are run for their spans.
        self.prefilter = PatternSet.build(tuple(rule.pattern for rule, _ in compiled))

    def hits(self, text: str) -> list[RuleHit]:
        """Every non-allowlisted match of every rule in `text` (first match per rule)."""
        allowed = [
            (entry, m.span()) for entry, regex in self.allowlist for m in regex.finditer(text)
        ]
        found: list[RuleHit] = []
        rules = self.rules
        if self.prefilter is not None:
            matching = self.prefilter.matching(text)
            rules = tuple(pair for index, pair in enumerate(rules) if index in matching)
        for rule, regex in rules:
            for match in regex.finditer(text):
                start, end = match.span()
                if not _suppressed(rule.name, start, end, allowed):
                    found.append(RuleHit(rule, start, end))
                    break
        return found

    def score(
        self, text: str, hits: Sequence[RuleHit], weights: Mapping[str, float] | None = None
    ) -> float:
        """Fused score of `hits` in `text`, each rule once; weights may be overridden by name.

        A match quoted inside a text that talks *about* it ("the attacker wrote '…'") counts
        for `MENTION_DISCOUNT` of its weight: a mention, not a use.
        """
        weights = weights or {}
        mention = _META_WORDS.search(text) is not None
        by_rule: dict[str, float] = {}
        for hit in hits:
            weight = weights.get(hit.rule.name, hit.rule.weight)
            if mention and _quoted(text, hit.start, hit.end):
                weight *= MENTION_DISCOUNT
            by_rule[hit.rule.name] = max(weight, by_rule.get(hit.rule.name, 0.0))
        return fuse(by_rule.values())


MENTION_DISCOUNT = 0.4
_META_WORDS = re.compile(
    r"(?i)\b(?:attacks?|attackers?|wrote|writes|says|said|phrase|quote[sd]?|blog|paper|example"
    r"|incident|movie|novel|story|explain\w*|classify|detect\w*|mean)\b"
)
_QUOTES = {'"': '"', "“": "”", "«": "»"}


def _quoted(text: str, start: int, end: int) -> bool:
    """True when text[start:end] sits inside one pair of quotes on one line."""
    for opening, closing in _QUOTES.items():
        left = text.rfind(opening, 0, start)
        if left == -1:
            continue
        if opening == closing:
            if text.count(opening, 0, left) % 2 == 1:  # `left` closes an earlier quote
                continue
        elif closing in text[left + 1 : start]:
            continue
        right = text.find(closing, end)
        if right != -1 and "\n" not in text[left:right]:
            return True
    return False


def _compile_allow(entry: AllowEntry) -> CompiledPattern:
    if entry.pattern:
        return compile_user(entry.phrase)
    return compile_builtin("(?i)" + re.escape(entry.phrase))


def _suppressed(
    rule: str, start: int, end: int, allowed: list[tuple[AllowEntry, tuple[int, int]]]
) -> bool:
    return any(
        (not entry.rules or rule in entry.rules) and a_start < end and start < a_end
        for entry, (a_start, a_end) in allowed
    )


class InjectionScanner:
    """Scores prompt injection and jailbreak attempts; evidence names each rule and its span."""

    name = "injection"
    cost = 10

    def __init__(
        self,
        *,
        extra_rules: Sequence[Rule] = (),
        allowlist: Sequence[AllowEntry] = (),
        weights: Mapping[str, float] | None = None,
        matcher: RuleMatcher | None = None,
    ) -> None:
        self.matcher = matcher or RuleMatcher(extra_rules=extra_rules, allowlist=allowlist)
        self.weights = dict(weights or {})

    def scan(self, text: str, context: ScanContext) -> Finding:
        """Match the rules on the normalised text; spans point into the original `text`."""
        norm = normalize(text)
        hits = self.matcher.hits(norm.text)
        if not hits:
            return Finding(self.name, 0.0)
        evidence = []
        for hit in hits:
            start, end = norm.span(hit.start, hit.end)
            evidence.append(Evidence(hit.rule.name, start, end, excerpt_of(text, start, end)))
        score = self.matcher.score(norm.text, hits, self.weights)
        return Finding(self.name, score, tuple(evidence))
