"""Secrets: API-key and token formats plus high-entropy ``key=value`` assignments; redaction."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from redline.scanners.base import Evidence, Finding, ScanContext, excerpt_of

__all__ = ["SECRET_RULES", "SecretRule", "SecretsScanner", "shannon_entropy"]


@dataclass(frozen=True, slots=True)
class SecretRule:
    """A token format: name, weight (how sure a match is a live secret), pattern."""

    name: str
    weight: float
    pattern: re.Pattern[str]


SECRET_RULES: tuple[SecretRule, ...] = (
    SecretRule("aws_access_key", 0.95, re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    SecretRule(
        "github_token",
        0.95,
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{22,255})\b"),
    ),
    SecretRule("slack_token", 0.95, re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,200}\b")),
    SecretRule(
        "slack_webhook",
        0.9,
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,120}"),
    ),
    SecretRule(
        "openai_key", 0.9, re.compile(r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,200}\b")
    ),
    SecretRule("google_api_key", 0.9, re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    SecretRule("stripe_key", 0.9, re.compile(r"\b(?:sk|rk)_live_[0-9A-Za-z]{16,99}\b")),
    SecretRule(
        "jwt",
        0.8,
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,1000}\.eyJ[A-Za-z0-9_-]{8,2000}\.[A-Za-z0-9_-]{8,1000}"),
    ),
    SecretRule(
        "private_key",
        1.0,
        re.compile(
            # The body's class has no "-", so bodies never overlap: linear even on repeats.
            r"-----BEGIN (?:[A-Z]{2,10} )?PRIVATE KEY(?: BLOCK)?-----[A-Za-z0-9+/=:,\s]{0,8000}"
            r"(?:-----END [A-Z ]{0,30}PRIVATE KEY(?: BLOCK)?-----)?"
        ),
    ),
)
# key/token/secret/password assignments; the value is kept only if it looks random.
_ASSIGNMENT = re.compile(
    r"(?i)\b[\w.-]{0,30}(?:api[_-]?key|secret|token|passw(?:or)?d|pwd|access[_-]?key|auth)"
    r"[\w.-]{0,30}[\"']?\s{0,3}[:=]\s{0,3}[\"']?([A-Za-z0-9+/_.~=-]{12,200})"
)
ENTROPY_BITS_PER_CHAR = 3.5
_GENERIC_WEIGHT = 0.7
REDACTION = "[SECRET:{rule}]"


def shannon_entropy(value: str) -> float:
    """Shannon entropy of `value` in bits per character (0 for an empty string).

    Examples
    --------
    >>> shannon_entropy("aaaa")
    0.0
    >>> shannon_entropy("abcd")
    2.0
    """
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return sum(c / n * math.log2(n / c) for c in counts.values())


class SecretsScanner:
    """Finds credentials in prompts or outputs and returns the text with them masked."""

    name = "secrets"
    cost = 5

    def __init__(self, *, min_entropy: float = ENTROPY_BITS_PER_CHAR) -> None:
        self.min_entropy = min_entropy

    def scan(self, text: str, context: ScanContext) -> Finding:
        """Score = the most certain format found; `redacted` masks every match."""
        spans: list[tuple[int, int, str, float]] = []
        for rule in SECRET_RULES:
            spans += [
                (m.start(), m.end(), rule.name, rule.weight) for m in rule.pattern.finditer(text)
            ]
        for match in _ASSIGNMENT.finditer(text):
            start, end = match.span(1)
            value = match.group(1)
            taken = any(s < end and start < e for s, e, _, _ in spans)
            if not taken and shannon_entropy(value) >= self.min_entropy:
                spans.append((start, end, "generic_secret", _GENERIC_WEIGHT))
        if not spans:
            return Finding(self.name, 0.0)
        spans.sort()
        evidence = tuple(
            Evidence(rule, s, e, _masked(excerpt_of(text, s, e))) for s, e, rule, _ in spans
        )
        return Finding(self.name, max(w for *_, w in spans), evidence, _redact(text, spans))


def _masked(value: str) -> str:
    """Keep a prefix that names the format, never the secret itself."""
    keep = min(4, len(value) // 4)
    return value[:keep] + "…" + f"({len(value)} chars)"


def _redact(text: str, spans: list[tuple[int, int, str, float]]) -> str:
    parts: list[str] = []
    cursor = 0
    for start, end, rule, _ in spans:
        if start < cursor:
            continue
        parts += [text[cursor:start], REDACTION.format(rule=rule)]
        cursor = end
    return "".join(parts) + text[cursor:]
