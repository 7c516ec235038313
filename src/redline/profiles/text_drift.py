"""Drift statistics of a window's token sketch against the reference's, and the buckets that moved."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from redline.profiles.stats import js_of_shares, linf_of_shares, shares
from redline.profiles.text_sketch import TextSpec, TextState

__all__ = ["TEXT_STATISTICS", "TOKEN_STATISTIC", "text_statistics", "top_token_moves"]

#: The primary statistic of a token sketch: Jensen-Shannon distance (base 2) of bucket shares.
TOKEN_STATISTIC = "token_js_distance"
TEXT_STATISTICS = (TOKEN_STATISTIC, "token_linf", "new_bucket_share", "tokens_per_text_ratio")


def text_statistics(spec: TextSpec, state: TextState) -> dict[str, float]:
    """Every statistic of the window's token sketch (NaN when it holds no tokens).

    ``new_bucket_share`` is the window's share of tokens in buckets the reference never
    filled; ``tokens_per_text_ratio`` compares tokens per text with the reference's.

    Examples
    --------
    >>> from redline.profiles.specs import Role
    >>> from redline.profiles.text_sketch import fit_text_spec
    >>> spec, _ = fit_text_spec("note", ["the cat sat on the mat"] * 50, Role.FEATURE)
    >>> same = TextState.empty(spec).fold(spec, ["the cat sat on the mat"] * 5)
    >>> text_statistics(spec, same)["token_js_distance"]
    0.0
    >>> flipped = TextState.empty(spec).fold(spec, ["eht tac tas no eht tam"] * 5)
    >>> round(text_statistics(spec, flipped)["token_js_distance"], 2)  # no bucket in common
    1.0
    """
    total = int(state.counts.sum())
    if total == 0:
        return dict.fromkeys(TEXT_STATISTICS, math.nan)
    p, q = spec.bin_shares, shares(state.counts)
    per_text = total / state.n if state.n else math.nan
    return {
        TOKEN_STATISTIC: float(js_of_shares(p, q)),
        "token_linf": float(linf_of_shares(p, q)),
        "new_bucket_share": float(q[spec.counts == 0].sum()),
        "tokens_per_text_ratio": per_text / spec.tokens_per_text
        if spec.tokens_per_text
        else math.nan,
    }


def top_token_moves(spec: TextSpec, state: TextState, n: int = 5) -> list[dict[str, Any]]:
    """The buckets whose token share moved most, largest first, named by reference words.

    A bucket's words are the reference's most frequent there: a bucket that grew because of
    words the reference never used still shows the reference's words (``reference_words``).
    """
    p, q = spec.bin_shares, shares(state.counts)
    order = np.argsort(-np.abs(q - p), kind="stable")[:n]
    return [
        {
            "bin": f"bucket {int(i)}",
            "reference_words": list(spec.examples.get(int(i), ())),
            "reference": round(float(p[i]), 6),
            "current": round(float(q[i]), 6),
        }
        for i in order
        if q[i] != p[i]
    ]
