"""Per-request figures of an LLM answer: entropy, repetition, refusal, tokens and cost.

Pure functions on one text (or one answer's log-probabilities); the window thread runs them,
never the request path.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = [
    "REFUSAL_PATTERN",
    "cost_usd",
    "estimate_tokens",
    "is_refusal",
    "lexical_entropy",
    "repetition_ratio",
    "token_entropy",
    "words_of",
]

_WORD = re.compile(r"\w+", re.UNICODE)

#: Phrases assistants open a refusal with; matched case-insensitively anywhere in the answer.
REFUSAL_PATTERN = re.compile(
    r"\b(?:I(?:'m| am) (?:sorry|unable|not able)|I (?:can(?:'|no)t|cannot|won't|will not) "
    r"(?:help|assist|provide|do|comply|share)|as an AI(?: language model)?|"
    r"I must (?:decline|refuse))",
    re.IGNORECASE,
)


def words_of(text: str) -> list[str]:
    """The lower-cased word tokens of ``text`` (runs of letters, digits and underscores)."""
    return _WORD.findall(text.lower())


def lexical_entropy(text: str) -> float:
    """Shannon entropy, in bits, of the word frequencies of ``text`` (NaN without words).

    A model stuck repeating itself has a low entropy; word salad a high one.

    Examples
    --------
    >>> lexical_entropy("a b a b")
    1.0
    >>> lexical_entropy("loop loop loop")
    0.0
    """
    counts = np.fromiter(Counter(words_of(text)).values(), dtype=np.float64)
    if counts.size == 0:
        return math.nan
    p = counts / counts.sum()
    entropy = float(-(p * np.log2(p)).sum())
    return entropy if entropy > 0.0 else 0.0  # one word: exactly 0, never -0.0


def token_entropy(logprobs: Sequence[float], top_logprobs: Sequence[Sequence[float]] = ()) -> float:
    """Mean entropy per generated token, in bits, from the upstream's log-probabilities.

    With ``top_logprobs`` (natural-log probabilities of at least two alternatives per token)
    each token's distribution is the top alternatives renormalised; otherwise the mean
    surprisal ``-log2 p`` of the sampled tokens, whose expectation is that entropy. NaN when
    there are no log-probabilities.

    Examples
    --------
    >>> round(token_entropy([], [[math.log(0.5), math.log(0.5)]]), 6)
    1.0
    >>> round(token_entropy([math.log(0.25), math.log(0.25)]), 6)
    2.0
    """
    tops = [np.asarray(t, dtype=np.float64) for t in top_logprobs if len(t) >= 2]
    if tops and len(tops) == len(top_logprobs):
        per_token = []
        for lp in tops:
            p = np.exp(lp - lp.max())
            p /= p.sum()
            nz = p[p > 0]
            per_token.append(float(-(nz * np.log2(nz)).sum()))
        return float(np.mean(per_token))
    if len(logprobs) == 0:
        return math.nan
    return float(-np.mean(np.asarray(logprobs, dtype=np.float64)) / math.log(2.0))


def repetition_ratio(text: str, n: int = 3) -> float:
    """Share of the word ``n``-grams of ``text`` that repeat an earlier one (0 below ``n`` words).

    An answer stuck in a loop tends to 1; ordinary prose stays near 0.

    Examples
    --------
    >>> repetition_ratio("the cat sat on the mat")
    0.0
    >>> repetition_ratio("go go go go go", n=2)
    0.75
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    words = words_of(text)
    total = len(words) - n + 1
    if total <= 0:
        return 0.0
    unique = len({tuple(words[i : i + n]) for i in range(total)})
    return 1.0 - unique / total


def estimate_tokens(text: str) -> int:
    """Tokens in ``text`` when the upstream does not say: about four characters per token.

    A rough rule for English with GPT-style tokenizers; real counts come from ``usage``.

    Examples
    --------
    >>> estimate_tokens("")
    0
    >>> estimate_tokens("Hello, world!")
    4
    """
    return math.ceil(len(text) / 4)


def is_refusal(text: str) -> bool:
    """Whether the answer reads as a refusal ("I'm sorry", "I can't help", "As an AI").

    Examples
    --------
    >>> is_refusal("I'm sorry, but I can't help with that.")
    True
    >>> is_refusal("Sure, here it is.")
    False
    """
    return REFUSAL_PATTERN.search(text) is not None


def cost_usd(prompt_tokens: float, completion_tokens: float, price: tuple[float, float]) -> float:
    """The price of one call: ``price`` is (input, output) in dollars per 1,000 tokens.

    Examples
    --------
    >>> cost_usd(1000, 500, (0.5, 1.5))
    1.25
    """
    per_1k_in, per_1k_out = price
    return (prompt_tokens * per_1k_in + completion_tokens * per_1k_out) / 1000.0
