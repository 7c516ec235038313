"""Decode and rescan: base64, hex, ROT13, leetspeak, spaced-out letters and Unicode tag text."""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from redline.scanners.base import Evidence, Finding, ScanContext
from redline.scanners.injection import RuleMatcher, fuse
from redline.scanners.normalize import NormalizedText, normalize

__all__ = ["DecodeScanner", "Decoded", "decoded_payloads"]

_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX_RUN = re.compile(r"\b(?:[0-9a-fA-F]{2}){8,}\b|(?:\\x[0-9a-fA-F]{2}){6,}")
# Single letters separated by single spaces, at least five of them: "i g n o r e".
_SPACED_RUN = re.compile(r"\b(?:[A-Za-z] ){4,}[A-Za-z]\b")
_LEET = str.maketrans("013457@$!|", "oieastasil")
_LEET_WORD = re.compile(r"\b(?=\w*[A-Za-z])(?=\w*[0134579@$!|])[\w@$!|]+")


@dataclass(frozen=True, slots=True)
class Decoded:
    """A payload found in the text: how it was encoded, its span, and the decoded text.

    `offsets` maps decoded positions back into the normalised text when the decoding keeps
    positions (ROT13, leetspeak, spaced letters); ``None`` means the whole span is the evidence.
    """

    encoding: str
    start: int
    end: int
    text: str
    offsets: tuple[int, ...] | None = None


def _printable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    readable = sum(ch.isprintable() or ch.isspace() for ch in text)
    return (
        text if text and readable / len(text) >= 0.95 and any(c.isalpha() for c in text) else None
    )


def _base64_runs(text: str) -> Iterator[Decoded]:
    for match in _BASE64_RUN.finditer(text):
        run = match.group()
        padded = run.rstrip("=") + "=" * (-len(run.rstrip("=")) % 4)
        try:
            data = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            continue
        decoded = _printable(data)
        if decoded is not None:
            yield Decoded("base64", match.start(), match.end(), decoded)


def _hex_runs(text: str) -> Iterator[Decoded]:
    for match in _HEX_RUN.finditer(text):
        decoded = _printable(bytes.fromhex(match.group().replace("\\x", "")))
        if decoded is not None:
            yield Decoded("hex", match.start(), match.end(), decoded)


def _whole_text(
    encoding: str, transform: Callable[[str], str]
) -> Callable[[str], Iterator[Decoded]]:
    def decode(text: str) -> Iterator[Decoded]:
        changed = transform(text)
        if changed != text:
            yield Decoded(encoding, 0, len(text), changed, tuple(range(len(text))))

    return decode


def _leet(text: str) -> str:
    return _LEET_WORD.sub(lambda m: m.group().translate(_LEET), text)


def _spaced_runs(text: str) -> Iterator[Decoded]:
    for match in _SPACED_RUN.finditer(text):
        letters = range(match.start(), match.end(), 2)
        joined = "".join(text[i] for i in letters)
        # Rescan the joined word in its surroundings so "i g n o r e all previous…" still reads.
        before, after = text[: match.start()], text[match.end() :]
        offsets = (*range(len(before)), *letters, *range(match.end(), len(text)))
        yield Decoded("spaced", 0, len(text), before + joined + after, offsets)


_DECODERS: tuple[Callable[[str], Iterator[Decoded]], ...] = (
    _base64_runs,
    _hex_runs,
    _whole_text("rot13", lambda t: codecs.encode(t, "rot13")),
    _whole_text("leetspeak", _leet),
    _spaced_runs,
)


def decoded_payloads(norm: NormalizedText) -> list[Decoded]:
    """Every decodable payload of a normalised text (tag characters span the original)."""
    found = [d for decoder in _DECODERS for d in decoder(norm.text)]
    found += [Decoded("unicode_tags", run.start, run.end, run.text) for run in norm.hidden]
    return found


class DecodeScanner:
    """Decodes hidden payloads and rescans them with the injection rules."""

    name = "decode"
    cost = 20

    def __init__(self, matcher: RuleMatcher | None = None) -> None:
        self.matcher = matcher or RuleMatcher()

    def scan(self, text: str, context: ScanContext) -> Finding:
        """Score = fused weight of the rules that match only once a payload is decoded."""
        norm = normalize(text)
        plain_rules = {hit.rule.name for hit in self.matcher.hits(norm.text)}
        evidence: list[Evidence] = []
        weights: dict[str, float] = {}
        for payload in decoded_payloads(norm):
            for hit in self.matcher.hits(payload.text):
                if hit.rule.name in plain_rules:
                    continue
                rule = f"{payload.encoding}:{hit.rule.name}"
                start, end = _original_span(norm, payload, hit.start, hit.end)
                evidence.append(Evidence(rule, start, end, payload.text[hit.start : hit.end][:80]))
                weights[rule] = hit.rule.weight
        return Finding(self.name, fuse(weights.values()), tuple(evidence))


def _original_span(norm: NormalizedText, payload: Decoded, start: int, end: int) -> tuple[int, int]:
    if payload.encoding == "unicode_tags":
        return payload.start, payload.end
    if payload.offsets is None:
        return norm.span(payload.start, payload.end)
    return norm.span(payload.offsets[start], payload.offsets[end - 1] + 1)
