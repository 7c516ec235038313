"""A text column's token sketch: hashed word counts, in the reference and in a window.

The reference keeps its bucket counts, a few of its most frequent words per bucket (so a moved
bucket reads as words) and thresholds calibrated per window size; a window keeps its bucket
counts, which add exactly when windows merge. Both are O(buckets), never O(rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.domain import ColumnKind
from redline.profiles.specs import Role
from redline.profiles.stats import shares
from redline.profiles.tokens import N_BUCKETS, TokenBatch, buckets_of_hashes, hash_tokens

__all__ = ["TOKENS", "TextSpec", "TextState", "fit_text_spec", "text_spec_from_dict"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The descriptor name of the token sketch: column ``review`` gets ``review.tokens``.
TOKENS = "tokens"
#: Words kept per bucket to name it in evidence (the reference's most frequent there).
EXAMPLES_PER_BUCKET = 2


@dataclass(frozen=True)
class TextSpec:
    """Reference token counts per bucket, texts seen, example words and thresholds."""

    name: str
    source: str
    role: Role
    counts: FloatArray
    n: int
    null_share: float
    examples: dict[int, tuple[str, ...]] = field(default_factory=dict)
    thresholds: dict[str, list[float]] = field(default_factory=dict)
    bigrams: bool = False  # word pairs counted too (windows must count what the reference did)
    kind: ColumnKind = ColumnKind.TEXT
    descriptor: str = TOKENS

    @cached_property
    def bin_shares(self) -> FloatArray:
        """Each bucket's share of the reference's tokens."""
        return shares(self.counts)

    @property
    def tokens_per_text(self) -> float:
        """Mean tokens (words, and word pairs if counted) per reference text."""
        return float(self.counts.sum()) / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "text_tokens",
            "name": self.name,
            "source": self.source,
            "role": self.role.value,
            **_counts_json(self.counts.astype(np.int64)),
            "n": self.n,
            "null_share": self.null_share,
            "examples": {str(k): list(v) for k, v in sorted(self.examples.items())},
            "thresholds": self.thresholds,
            "bigrams": self.bigrams,
        }


def text_spec_from_dict(data: dict[str, Any]) -> TextSpec:
    """Inverse of :meth:`TextSpec.to_dict`."""
    counts = _counts_from_json(data).astype(np.float64)
    return TextSpec(
        name=str(data["name"]),
        source=str(data["source"]),
        role=Role(data["role"]),
        counts=counts,
        n=int(data["n"]),
        null_share=float(data["null_share"]),
        examples={int(k): tuple(str(w) for w in v) for k, v in data["examples"].items()},
        thresholds={str(k): [float(x) for x in v] for k, v in data["thresholds"].items()},
        bigrams=bool(data.get("bigrams", False)),
    )


@dataclass
class TextState:
    """A window's token counts per bucket, its texts and its nulls."""

    counts: IntArray
    n: int = 0
    n_null: int = 0

    @classmethod
    def empty(cls, spec: TextSpec) -> TextState:
        """No texts yet."""
        return cls(np.zeros(spec.counts.size, dtype=np.int64))

    def fold(self, spec: TextSpec, values: Any) -> TextState:
        """Add a batch of raw texts (in place)."""
        batch = hash_tokens(values, spec.counts.size, bigrams=spec.bigrams)
        self.counts += np.bincount(batch.buckets, minlength=self.counts.size)
        self.n += batch.n_texts
        self.n_null += batch.n_null
        return self

    def merge(self, other: TextState) -> TextState:
        """A new state holding both."""
        return TextState(self.counts + other.counts, self.n + other.n, self.n_null + other.n_null)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**_counts_json(self.counts), "n": self.n, "n_null": self.n_null}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TextState:
        """Inverse of :meth:`to_dict`."""
        return cls(_counts_from_json(data), int(data["n"]), int(data["n_null"]))


def _counts_json(counts: NDArray[Any]) -> dict[str, Any]:
    """Bucket counts as a list, or as (bucket, count) pairs when most buckets are empty."""
    nonzero = np.flatnonzero(counts)
    if 3 * nonzero.size > counts.size:
        return {"counts": counts.tolist()}
    return {
        "n_buckets": counts.size,
        "buckets": nonzero.tolist(),
        "counts": counts[nonzero].tolist(),
    }


def _counts_from_json(data: dict[str, Any]) -> IntArray:
    """Inverse of :func:`_counts_json` (integer counts)."""
    if "buckets" not in data:
        return np.asarray(data["counts"], dtype=np.int64)
    counts = np.zeros(int(data["n_buckets"]), dtype=np.int64)
    counts[np.asarray(data["buckets"], dtype=np.int64)] = data["counts"]
    return counts


def _examples(batch: TokenBatch, n_buckets: int) -> dict[int, tuple[str, ...]]:
    """The most frequent words of each bucket (at most ``EXAMPLES_PER_BUCKET``)."""
    if batch.hashes.size == 0:
        return {}
    distinct, first, count = np.unique(batch.hashes, return_index=True, return_counts=True)
    bucket = buckets_of_hashes(distinct, n_buckets)
    order = np.lexsort((-count, bucket))
    starts = np.searchsorted(bucket[order], np.arange(n_buckets))
    rank = np.arange(order.size) - starts[bucket[order]]
    out: dict[int, list[str]] = {}
    for i in order[rank < EXAMPLES_PER_BUCKET].tolist():
        lo, hi = batch.spans[first[i]].tolist()
        word = batch.data[lo:hi].decode("utf-8", "replace")
        out.setdefault(int(bucket[i]), []).append(word)
    return {k: tuple(v) for k, v in out.items()}


def fit_text_spec(
    source: str, values: Any, role: Role, n_buckets: int = N_BUCKETS, *, bigrams: bool = False
) -> tuple[TextSpec, TokenBatch]:
    """The token sketch of a reference text column, and its tokens (for calibration).

    >>> spec, _ = fit_text_spec("note", ["a red fox", "a red hen", None], Role.FEATURE)
    >>> spec.name, spec.n, int(spec.counts.sum()), round(spec.null_share, 3)
    ('note.tokens', 2, 6, 0.333)
    """
    batch = hash_tokens(values, n_buckets, bigrams=bigrams)
    total = batch.n_texts + batch.n_null
    spec = TextSpec(
        name=f"{source}.{TOKENS}",
        source=source,
        role=role,
        counts=np.bincount(batch.buckets, minlength=n_buckets).astype(np.float64),
        n=batch.n_texts,
        null_share=batch.n_null / total if total else 0.0,
        examples=_examples(batch, n_buckets),
        bigrams=bigrams,
    )
    return spec, batch
