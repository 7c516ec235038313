"""Per-answer statistics against numpy/scipy oracles."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from redline.llm.metrics import (
    cost_usd,
    estimate_tokens,
    is_refusal,
    lexical_entropy,
    repetition_ratio,
    token_entropy,
    words_of,
)

TEXTS = [
    "the quick brown fox jumps over the lazy dog",
    "Refunds take five days. Refunds take five days. Refunds take five days.",
    "a",
    "Ünïcode wörds und Zahlen 42 42 42",
]


@pytest.mark.parametrize("text", TEXTS)
def test_lexical_entropy_is_scipys_entropy_of_word_counts(text: str) -> None:
    counts = list(Counter(words_of(text)).values())
    assert lexical_entropy(text) == pytest.approx(stats.entropy(counts, base=2), abs=1e-12)


def test_lexical_entropy_without_words_is_nan() -> None:
    assert math.isnan(lexical_entropy("  ... !!"))


def test_token_entropy_of_top_logprobs_is_entropy_of_the_renormalised_alternatives() -> None:
    rng = np.random.default_rng(3)
    tops = [np.log(rng.dirichlet(np.ones(5)) * 0.9) for _ in range(20)]  # mass outside the top 5
    expected = np.mean([stats.entropy(np.exp(t) / np.exp(t).sum(), base=2) for t in tops])
    assert token_entropy([], [list(t) for t in tops]) == pytest.approx(expected, abs=1e-12)


def test_token_entropy_without_alternatives_is_the_mean_surprisal_in_bits() -> None:
    logprobs = [math.log(0.5), math.log(0.125), math.log(0.9)]
    expected = -np.mean(np.log2([0.5, 0.125, 0.9]))
    assert token_entropy(logprobs, [[], [], []]) == pytest.approx(expected)
    assert math.isnan(token_entropy([]))


def test_repetition_ratio_counts_repeated_ngrams() -> None:
    words = ["a", "b", "c", "a", "b", "c", "a", "b", "c"]
    grams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    expected = 1 - len(set(grams)) / len(grams)
    assert repetition_ratio(" ".join(words)) == pytest.approx(expected)
    assert repetition_ratio("one two") == 0.0
    with pytest.raises(ValueError, match="n must be"):
        repetition_ratio("x", n=0)


def test_a_loop_scores_near_one_and_prose_near_zero() -> None:
    assert repetition_ratio("I will help. " * 50) > 0.9
    assert repetition_ratio(TEXTS[0]) == 0.0


def test_refusals_estimates_and_cost() -> None:
    assert is_refusal("I cannot help with that request.")
    assert is_refusal("As an AI language model, I must decline.")
    assert not is_refusal("I can help with that: your refund is on its way.")
    assert estimate_tokens("x" * 9) == 3
    assert cost_usd(2000, 1000, (0.15, 0.6)) == pytest.approx(0.9)
