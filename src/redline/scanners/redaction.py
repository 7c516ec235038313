"""Merging several scanners' redactions of one text into one redacted text."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redline.scanners.base import Finding

__all__ = ["REDACTION_MARK", "apply_redactions"]

REDACTION_MARK = "[REDACTED]"
_JOIN_GAP = 4
_MAX_DIFF_CHARS = 20_000

_Replacement = tuple[int, int, str]


def apply_redactions(text: str, findings: Sequence[Finding]) -> tuple[str, bool]:
    """Merge several findings' redactions into `text`; True second if one could not be applied.

    A finding's own `redacted` text is used as-is when it is the only one; otherwise each
    finding contributes the spans it changed (or its evidence spans, masked) and overlapping
    spans merge, keeping the first replacement.
    """
    if len(findings) == 1 and findings[0].redacted is not None:
        return findings[0].redacted, False
    replacements: list[_Replacement] = []
    for finding in findings:
        found = _replacements(text, finding)
        if not found:
            return text, True
        replacements.extend(found)
    return _splice(text, replacements), False


def _replacements(text: str, finding: Finding) -> list[_Replacement]:
    # Diffing is quadratic in the worst case: long texts are masked by evidence span instead.
    if finding.redacted is None or len(text) > _MAX_DIFF_CHARS:
        return [(e.start, e.end, REDACTION_MARK) for e in finding.evidence if e.end > e.start]
    matcher = difflib.SequenceMatcher(None, text, finding.redacted, autojunk=False)
    merged: list[list[int]] = []  # [i1, i2, j1, j2] of changed runs
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        # Short accidental matches inside a placeholder ("<EMAIL_ADDRESS>" vs an address)
        # would split one redaction into pieces: join runs closer than _JOIN_GAP.
        if merged and i1 - merged[-1][1] < _JOIN_GAP:
            merged[-1][1], merged[-1][3] = i2, j2
        else:
            merged.append([i1, i2, j1, j2])
    return [(i1, i2, finding.redacted[j1:j2]) for i1, i2, j1, j2 in merged]


def _splice(text: str, replacements: list[_Replacement]) -> str:
    parts: list[str] = []
    cursor = 0
    for start, end, new in sorted(replacements, key=lambda r: (r[0], -r[1])):
        if start < cursor:  # overlaps a span already replaced: extend it instead
            cursor = max(cursor, end)
            continue
        parts.append(text[cursor:start])
        parts.append(new)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)
