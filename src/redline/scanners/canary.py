"""Canary tokens: generate `RL-CANARY-<hex>` strings to plant, and find them in outputs."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from redline.scanners.base import Evidence, Finding, ScanContext
from redline.scanners.normalize import normalize

__all__ = ["CANARY_PATTERN", "CanaryScanner", "find_canaries", "new_canary"]

_PREFIX = "RL-CANARY-"
_HEX_CHARS = 16
# Separators an output may slip between characters (spaces, line breaks, dashes, dots);
# zero-width characters are gone after normalisation already.
_SEP = r"[\s._-]{0,3}"
CANARY_PATTERN = re.compile(
    _SEP.join("RL")
    + _SEP
    + _SEP.join("CANARY")
    + _SEP
    + "((?:[0-9a-fA-F]"
    + _SEP
    + "){"
    + str(_HEX_CHARS - 1)
    + "}[0-9a-fA-F])",
    re.IGNORECASE,
)
UNKNOWN_PLACE = "unknown (not in this context's canaries)"


def new_canary(where: str) -> str:
    """Return a fresh canary token to plant at `where` (record the pair in ScanContext.canaries).

    The token carries no hint of its place, so a leak cannot be traced back by the attacker;
    the caller keeps the token -> place mapping that detection reports from.
    """
    if not where.strip():
        raise ValueError("a canary needs a place: where is it planted (system prompt, doc id, …)?")
    return _PREFIX + secrets.token_hex(_HEX_CHARS // 2)


def find_canaries(text: str, planted: Mapping[str, str]) -> list[tuple[str, str, int, int]]:
    """Canaries in `text` as (token, where planted, start, end), spans in the original text."""
    norm = normalize(text)
    by_hex = {token[len(_PREFIX) :].lower(): (token, place) for token, place in planted.items()}
    found = []
    for match in CANARY_PATTERN.finditer(norm.text):
        hex_digits = re.sub(r"[^0-9a-fA-F]", "", match.group(1)).lower()
        token, place = by_hex.get(hex_digits, (_PREFIX + hex_digits, UNKNOWN_PLACE))
        start, end = norm.span(*match.span())
        found.append((token, place, start, end))
    return found


class CanaryScanner:
    """Any redline canary in an output is a leak: score 1 for a planted one, 0.9 for another."""

    name = "canary"
    cost = 3

    def scan(self, text: str, context: ScanContext) -> Finding:
        """Evidence names the token and where it was planted (``canary:<where>``)."""
        hits = find_canaries(text, context.canaries)
        if not hits:
            return Finding(self.name, 0.0)
        evidence = tuple(
            Evidence(f"canary:{place}", start, end, token) for token, place, start, end in hits
        )
        planted = any(place != UNKNOWN_PLACE for _, place, _, _ in hits)
        return Finding(self.name, 1.0 if planted else 0.9, evidence)
