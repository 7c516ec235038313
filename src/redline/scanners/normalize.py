"""Normalisation: NFKC, invisible characters, homoglyphs, tag characters, with an offset map."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from redline.scanners.base import Evidence, Finding, ScanContext

__all__ = ["HiddenRun", "NormalizeScanner", "NormalizedText", "normalize"]

_TAG_FIRST, _TAG_LAST = 0xE0000, 0xE007F
# Not all of these are format (Cf) characters, but all render as nothing or as a blank.
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0") | frozenset(
    chr(c) for c in range(0xFE00, 0xFE10)
)
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Cyrillic and Greek letters that render like Latin ones (lower and upper case).
_HOMOGLYPHS = str.maketrans(
    "аеорсухіјѕԁһԛԝӏ" + "АВЕКМНОРСТУХЅІЈԜ" + "αεικνορτυχ" + "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ" + "ɡ",
    "aeopcyxijsdhqwl" + "ABEKMHOPCTYXSIJW" + "aeikvoptux" + "ABEZHIKMNOPTYX" + "g",
)


@dataclass(frozen=True, slots=True)
class HiddenRun:
    """ASCII spelled with invisible Unicode tag characters, and where it sat in the original."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """The normalised text, the original it came from, and a map back to original offsets."""

    original: str
    text: str
    # offsets[i] is the original index of text[i]; None when the text is unchanged.
    offsets: tuple[int, ...] | None
    hidden: tuple[HiddenRun, ...] = ()
    invisible: tuple[int, ...] = ()  # original indices of removed invisible characters
    folded: tuple[int, ...] = ()  # original indices of characters folded from look-alikes

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text to the span of the original it came from."""
        if self.offsets is None:
            return start, end
        if end <= start:
            at = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return at, at
        return self.offsets[start], self.offsets[end - 1] + 1


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """What one non-ASCII character becomes: "" when invisible, else its folded skeleton."""
    if char in _INVISIBLE_EXTRA or char in _BIDI or unicodedata.category(char) == "Cf":
        return ""
    decomposed = unicodedata.normalize("NFKD", char)
    # Combining marks stacked on letters ("i̇gnore") only disguise them: drop them.
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", kept).translate(_HOMOGLYPHS)


@lru_cache(maxsize=1024)
def _is_lookalike(char: str, replacement: str) -> bool:
    """A Cyrillic or Greek letter that folded to a Latin one (not a ligature or a width form)."""
    script = unicodedata.name(char, "").split(" ", 1)[0]
    return script in ("CYRILLIC", "GREEK") and replacement.isascii() and replacement.isalpha()


def normalize(text: str) -> NormalizedText:
    """NFKC-fold `text`, strip invisible characters, fold homoglyphs, decode tag characters."""
    if text.isascii():
        return NormalizedText(text, text, None)
    out: list[str] = []
    offsets: list[int] = []
    hidden: list[HiddenRun] = []
    invisible: list[int] = []
    folded: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            out.append(char)
            offsets.append(index)
            continue
        code = ord(char)
        if _TAG_FIRST <= code <= _TAG_LAST:
            _add_tag(hidden, code, index)
            continue
        replacement = _fold_char(char)
        if not replacement:
            invisible.append(index)
            continue
        if _is_lookalike(char, replacement):
            folded.append(index)
        out.append(replacement)
        offsets.extend([index] * len(replacement))
    return NormalizedText(
        text, "".join(out), tuple(offsets), tuple(hidden), tuple(invisible), tuple(folded)
    )


def _add_tag(hidden: list[HiddenRun], code: int, index: int) -> None:
    letter = chr(code - _TAG_FIRST) if 0x20 <= code - _TAG_FIRST < 0x7F else ""
    if hidden and hidden[-1].end == index:
        last = hidden[-1]
        hidden[-1] = HiddenRun(last.text + letter, last.start, index + 1)
    else:
        hidden.append(HiddenRun(letter, index, index + 1))


def _mixed_script_words(norm: NormalizedText) -> list[tuple[int, int]]:
    """Original spans of words where look-alikes sit among plain Latin letters."""
    folded = set(norm.folded)
    spans: list[tuple[int, int]] = []
    start = None
    for index, char in enumerate(norm.original + " "):
        if char.isalpha():
            start = index if start is None else start
            continue
        if start is not None:
            word = range(start, index)
            n_folded = sum(1 for i in word if i in folded)
            if 0 < n_folded < len(word) and any(norm.original[i].isascii() for i in word):
                spans.append((start, index))
            start = None
    return spans


def _invisible_weight(text: str, index: int) -> tuple[str, float]:
    """Invisible characters inside a word split it for matchers; elsewhere (emoji joiners) not."""
    before = text[index - 1] if index > 0 else " "
    after = text[index + 1] if index + 1 < len(text) else " "
    inside_word = before.isalnum() and after.isalnum()
    return ("invisible_in_word", 0.4) if inside_word else ("invisible", 0.1)


class NormalizeScanner:
    """Scores obfuscation itself: tag characters, bidi controls, invisible and mixed-script words."""

    name = "normalize"
    cost = 1

    def scan(self, text: str, context: ScanContext) -> Finding:
        """Return evidence of hiding tricks; the score is that of the worst trick found."""
        norm = normalize(text)
        if norm.offsets is None:
            return Finding(self.name, 0.0)
        evidence: list[tuple[float, Evidence]] = []
        for run in norm.hidden:
            evidence.append((1.0, Evidence("tag_characters", run.start, run.end, run.text[:80])))
        for index in norm.invisible:
            char = text[index]
            rule, weight = (
                ("bidi_control", 0.6) if char in _BIDI else _invisible_weight(text, index)
            )
            evidence.append((weight, Evidence(rule, index, index + 1, f"U+{ord(char):04X}")))
        for start, end in _mixed_script_words(norm):
            evidence.append((0.5, Evidence("mixed_script", start, end, text[start:end][:80])))
        if not evidence:
            return Finding(self.name, 0.0)
        score = max(weight for weight, _ in evidence)
        return Finding(self.name, score, tuple(e for _, e in evidence[:_MAX_EVIDENCE]))


_MAX_EVIDENCE = 20
