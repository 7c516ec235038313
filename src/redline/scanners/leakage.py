"""System-prompt leakage: how much of the system prompt an output reproduces, word for word."""

from __future__ import annotations

import re
from dataclasses import dataclass

from redline.scanners.base import Evidence, Finding, ScanContext, excerpt_of
from redline.scanners.normalize import normalize

__all__ = ["LeakageScanner", "Overlap", "prompt_overlap"]

_WORD = re.compile(r"\w+")
NGRAM = 5
# A run this long copied verbatim is a leak on its own, whatever the prompt's length.
LEAK_RUN_WORDS = 20


@dataclass(frozen=True, slots=True)
class Overlap:
    """Longest verbatim word run shared with the prompt (0 under 5 words), its span, 5-gram share."""

    longest_run: int
    start: int
    end: int
    ngram_share: float


def _words(text: str) -> list[tuple[str, int, int]]:
    norm = normalize(text)
    return [(m.group().lower(), *norm.span(*m.span())) for m in _WORD.finditer(norm.text)]


def prompt_overlap(output: str, system_prompt: str) -> Overlap:
    """Compare an output with a system prompt (case, accents and look-alikes folded).

    Examples
    --------
    >>> o = prompt_overlap("Sure: you are a helpful bank assistant.", "You are a helpful bank assistant")
    >>> o.longest_run, o.ngram_share
    (6, 1.0)
    """
    out = _words(output)
    prompt = [w for w, _, _ in _words(system_prompt)]
    if not out or not prompt:
        return Overlap(0, 0, 0, 0.0)
    prompt_grams = {tuple(prompt[i : i + NGRAM]) for i in range(max(1, len(prompt) - NGRAM + 1))}
    out_words = [w for w, _, _ in out]
    out_grams = {tuple(out_words[i : i + NGRAM]) for i in range(max(1, len(out_words) - NGRAM + 1))}
    share = len(prompt_grams & out_grams) / len(prompt_grams)
    run, end_index = _longest_common_run(out_words, prompt, min_run=min(NGRAM, len(prompt)))
    if run == 0:
        return Overlap(0, 0, 0, share)
    return Overlap(run, out[end_index - run][1], out[end_index - 1][2], share)


def _longest_common_run(a: list[str], b: list[str], min_run: int = 1) -> tuple[int, int]:
    """Longest common run of words (length, end index in `a`), considering runs ≥ `min_run`.

    Seeds are the shared `min_run`-grams, each extended only from the start of a maximal run,
    so texts with nothing in common cost one pass over each.
    """
    starts: dict[tuple[str, ...], list[int]] = {}
    for j in range(len(b) - min_run + 1):
        starts.setdefault(tuple(b[j : j + min_run]), []).append(j)
    best, best_end = 0, 0
    for i in range(len(a) - min_run + 1):
        for j in starts.get(tuple(a[i : i + min_run]), ()):
            if i and j and a[i - 1] == b[j - 1]:
                continue  # inside a run already measured from its start
            k = min_run
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            if k > best:
                best, best_end = k, i + k
    return best, best_end


class LeakageScanner:
    """Scores outputs that repeat the system prompt: max(5-gram share, run / LEAK_RUN_WORDS)."""

    name = "leakage"
    cost = 30

    def scan(self, text: str, context: ScanContext) -> Finding:
        """0 when there is no system prompt or the text is a prompt, not an output."""
        if not context.system_prompt or context.direction != "output":
            return Finding(self.name, 0.0)
        overlap = prompt_overlap(text, context.system_prompt)
        if overlap.longest_run < NGRAM:
            return Finding(self.name, 0.0)
        score = min(1.0, max(overlap.ngram_share, overlap.longest_run / LEAK_RUN_WORDS))
        rule = f"system_prompt_run:{overlap.longest_run}_words"
        excerpt = excerpt_of(text, overlap.start, overlap.end)
        return Finding(self.name, score, (Evidence(rule, overlap.start, overlap.end, excerpt),))
