"""Secrets: token formats, the entropy rule (checked against scipy), masking and redaction."""

from __future__ import annotations

from collections import Counter

import pytest
from scipy.stats import entropy

from redline.scanners import ScanContext
from redline.scanners.secrets import SecretsScanner, shannon_entropy

PROMPT = ScanContext("prompt")
# Test values only: built from pieces so that no secret scanner flags this file.
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2
SECRETS = [
    ("aws_access_key", "AKIA" + "IOSFODNN7EXAMPLE"),
    ("github_token", GITHUB[:40]),
    ("slack_token", "xoxb-" + "123456789012-abcdefghij"),
    ("openai_key", "sk-" + "proj-Ab3dEf6hIj9kLm2nOp5qRs8t"),
    ("google_api_key", "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"),
    ("stripe_key", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiJ9"
        + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0"
        + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("private_key", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"),
    ("generic_secret", "api_key = 'Zx8Hq2LmP0zR7vT4wK9s'"),
]


@pytest.mark.parametrize(("rule", "value"), SECRETS)
def test_each_format_is_found_and_redacted(rule: str, value: str) -> None:
    text = f"here it is: {value} ok"
    finding = SecretsScanner().scan(text, PROMPT)
    assert rule in {e.rule for e in finding.evidence}
    assert finding.score >= 0.7
    assert finding.redacted is not None
    assert f"[SECRET:{rule}]" in finding.redacted
    assert value.split("'")[-2 if rule == "generic_secret" else 0] not in finding.redacted


def test_evidence_never_echoes_the_secret() -> None:
    value = SECRETS[0][1]
    (evidence,) = SecretsScanner().scan(value, PROMPT).evidence
    assert value not in evidence.excerpt
    assert evidence.excerpt.endswith("(20 chars)")


@pytest.mark.parametrize("value", ["aaaa", "abcd", "hello world", "Zx8Hq2LmP0zR7vT4wK9s", ""])
def test_entropy_matches_scipy(value: str) -> None:
    counts = list(Counter(value).values())
    expected = float(entropy(counts, base=2)) if counts else 0.0
    assert shannon_entropy(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    "text",
    [
        "password = 'aaaaaaaaaaaaaaaa'",  # assignment, but low entropy
        "token_count=1234567890123",
        "see commit 3f2a9c1d7e8b4a6f0c5d2e1b9a8f7c6d5e4b3a21 for details",
        "the risk-assessment-and-mitigation-plan-document is attached",
        "AKIA is a prefix, not a key",
        "my secret recipe is: flour, water, salt",
    ],
)
def test_hard_negatives_are_not_secrets(text: str) -> None:
    assert SecretsScanner().scan(text, PROMPT).score == 0.0
