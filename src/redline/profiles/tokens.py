"""Hashed word tokens of a text column (words, optionally word pairs) on a fixed set of buckets.

A word is a run of ASCII letters and digits or non-ASCII characters in the lower-cased text.
Each word hashes to ``sum(byte_i * P**i) mod 2**64`` over its UTF-8 bytes, a bigram to a mix
of its two words' hashes; a fixed finaliser spreads the hash and its top bits pick the bucket.
Nothing depends on Python's salted ``hash()``, so every process and every version agrees. The
polynomial is evaluated for all words of a batch at once: each byte is weighted by ``P`` to the
power of its position in the batch, the weights are summed per word, and the sum is shifted
back to the word's start by the inverse power (``P`` is odd, so it has one modulo ``2**64``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["N_BUCKETS", "TokenBatch", "bucket_of", "buckets_of_hashes", "hash_tokens"]

U64 = NDArray[np.uint64]
IntArray = NDArray[np.int64]

#: Buckets of a text column's token sketch (a power of two: the hash's top bits pick one).
N_BUCKETS = 1024
_P = 0x100000001B3  # the FNV-64 prime: odd, so invertible modulo 2**64
_P_INV = pow(_P, -1, 2**64)
_MIX = (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53)  # MurmurHash3's 64-bit finaliser
_BIGRAM = 0x9E3779B97F4A7C15  # keeps the bigram (a, b) apart from (b, a) and from unigrams
_SEPARATOR = "\x00"
_WORD_BYTES = np.zeros(256, dtype=np.bool_)
_WORD_BYTES[np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)] = True
_WORD_BYTES[0x80:] = True  # every byte of a non-ASCII character


@dataclass(frozen=True, slots=True)
class TokenBatch:
    """The hashed tokens of a batch of texts, with the row each token came from."""

    buckets: IntArray  # bucket of each token (words, then word pairs if asked for)
    rows: IntArray  # row of each token within the batch's non-null texts
    n_texts: int  # texts in the batch (nulls excluded)
    n_null: int
    hashes: U64  # the unigrams' full hashes (for naming buckets by their words)
    spans: IntArray  # (words, 2): byte offsets of each word in ``data``
    data: bytes  # the lower-cased UTF-8 text of the batch


def _texts(values: Any) -> tuple[list[str], int]:
    """The non-null values as strings, and how many were null (None, NaN, pd.NA)."""
    if hasattr(values, "to_pylist"):  # an Arrow array: nulls become None
        raw = values.to_pylist()
    else:
        raw = np.asarray(values, dtype=object).tolist()
    texts = [v for v in raw if type(v) is str]
    if len(texts) < len(raw):  # the rare column that mixes in nulls or other values
        texts = [v if isinstance(v, str) else str(v) for v in raw if not _is_null(v)]
    return texts, len(raw) - len(texts)


def _is_null(value: Any) -> bool:
    import pandas as pd

    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


@functools.lru_cache(maxsize=4)
def _powers(size: int) -> tuple[U64, U64]:
    """``P**i`` and ``P**-i`` modulo 2**64 for i below ``size`` (a power of two)."""
    base = np.full(size, _P, dtype=np.uint64)
    base[0] = 1
    inverse = np.full(size, _P_INV, dtype=np.uint64)
    inverse[0] = 1
    return np.cumprod(base, dtype=np.uint64), np.cumprod(inverse, dtype=np.uint64)


def buckets_of_hashes(h: U64, n_buckets: int = N_BUCKETS) -> IntArray:
    """Spread each hash over all 64 bits, then take its top bits as the bucket."""
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(_MIX[0])
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(_MIX[1])
    h = h ^ (h >> np.uint64(33))
    shift = np.uint64(64 - (n_buckets.bit_length() - 1))
    return (h >> shift).astype(np.int64)


def _word_hashes(data: NDArray[np.uint8]) -> tuple[U64, IntArray, IntArray]:
    """Each word's hash, its start and end offsets."""
    word = _WORD_BYTES[data]
    edges = np.diff(np.concatenate(([False], word, [False])).astype(np.int8))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if starts.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return np.empty(0, dtype=np.uint64), empty, empty
    size = 1 << max(int(data.size - 1).bit_length(), 10)
    forward, backward = _powers(size)
    weighted = np.where(word, data.astype(np.uint64) * forward[: data.size], np.uint64(0))
    sums = np.add.reduceat(weighted, starts)  # non-word bytes add zero
    return sums * backward[starts], starts.astype(np.int64), ends.astype(np.int64)


def hash_tokens(values: Any, n_buckets: int = N_BUCKETS, *, bigrams: bool = False) -> TokenBatch:
    """Word buckets of every text in ``values``, then with ``bigrams`` those of word pairs.

    Bigrams stay within a text. They are off by default: nearly every bigram is rare, so they
    add sampling noise faster than signal (docs/text-drift.md measures both).

    >>> batch = hash_tokens(["The cat sat", None, "the CAT"])
    >>> batch.n_texts, batch.n_null, batch.rows.tolist()
    (2, 1, [0, 0, 0, 1, 1])
    >>> int(batch.buckets[3]) == int(batch.buckets[0]) == bucket_of("the")
    True
    >>> hash_tokens(["The cat sat", None, "the CAT"], bigrams=True).rows.tolist()
    [0, 0, 0, 1, 1, 0, 0, 1]
    """
    texts, n_null = _texts(values)
    joined = _SEPARATOR.join(texts).lower()
    if joined.count(_SEPARATOR) != max(len(texts) - 1, 0):  # a text holds the separator itself
        joined = _SEPARATOR.join(t.replace(_SEPARATOR, " ") for t in texts).lower()
    data = joined.encode("utf-8", "replace")
    raw = np.frombuffer(data, dtype=np.uint8)
    hashes, starts, ends = _word_hashes(raw)
    rows = np.searchsorted(np.flatnonzero(raw == 0), starts).astype(np.int64)
    buckets, token_rows = buckets_of_hashes(hashes, n_buckets), rows
    if bigrams:
        same_text = rows[1:] == rows[:-1]
        pairs = hashes[:-1][same_text] * np.uint64(_BIGRAM) + hashes[1:][same_text]
        buckets = np.concatenate([buckets, buckets_of_hashes(pairs, n_buckets)])
        token_rows = np.concatenate([rows, rows[:-1][same_text]])
    return TokenBatch(
        buckets=buckets,
        rows=token_rows,
        n_texts=len(texts),
        n_null=n_null,
        hashes=hashes,
        spans=np.stack([starts, ends], axis=1),
        data=data,
    )


def _scalar_hash(word: str) -> int:
    out = 0
    for i, byte in enumerate(word.encode("utf-8", "replace")):
        out = (out + byte * pow(_P, i, 2**64)) % 2**64
    return out


def bucket_of(token: str, n_buckets: int = N_BUCKETS) -> int:
    """The bucket of one lower-case word, or of two words separated by a space (a bigram).

    >>> bucket_of("drift") == int(hash_tokens(["Drift!"]).buckets[0])
    True
    """
    words = token.split(" ")
    h = _scalar_hash(words[0])
    if len(words) == 2:
        h = (h * _BIGRAM + _scalar_hash(words[1])) % 2**64
    return int(buckets_of_hashes(np.array([h], dtype=np.uint64), n_buckets)[0])
