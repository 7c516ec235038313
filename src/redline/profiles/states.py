"""Per-column window state: counts on the reference's bins plus what could not be binned."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.profiles.binning import bin_counts
from redline.profiles.encoding import encode_categorical, numeric_values
from redline.profiles.sketches import HeavyHitters
from redline.profiles.specs import CategoricalSpec, NumericSpec

__all__ = ["CategoricalState", "ColumnState", "NumericState", "state_from_dict"]

IntArray = NDArray[np.int64]


@dataclass
class NumericState:
    """Bin counts, moments and counts of nulls, ±inf and non-numeric values."""

    counts: IntArray
    n_null: int = 0
    n_nonfinite: int = 0
    n_invalid: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    @classmethod
    def empty(cls, spec: NumericSpec) -> NumericState:
        """No rows yet."""
        return cls(np.zeros(spec.edges.size + 1, dtype=np.int64))

    @property
    def n(self) -> int:
        """Rows with a finite value."""
        return int(self.counts.sum())

    def fold(self, spec: NumericSpec, values: Any) -> NumericState:
        """Add a batch of raw values (in place)."""
        parts = numeric_values(values)
        x = parts.finite
        if x.size:
            self.counts += bin_counts(spec.edges, x)
            self.total += float(x.sum())
            # einsum, not dot: BLAS may thread a dot product, and its rounding with it.
            self.total_sq += float(np.einsum("i,i->", x, x))
            self.min = min(self.min, parts.min)
            self.max = max(self.max, parts.max)
        self.n_null += parts.n_null
        self.n_nonfinite += parts.n_nonfinite
        self.n_invalid += parts.n_invalid
        return self

    def merge(self, other: NumericState) -> NumericState:
        """A new state holding both."""
        return NumericState(
            self.counts + other.counts,
            self.n_null + other.n_null,
            self.n_nonfinite + other.n_nonfinite,
            self.n_invalid + other.n_invalid,
            self.total + other.total,
            self.total_sq + other.total_sq,
            min(self.min, other.min),
            max(self.max, other.max),
        )

    @property
    def mean(self) -> float:
        """Mean of the finite values (NaN when none)."""
        return self.total / self.n if self.n else math.nan

    @property
    def std(self) -> float:
        """Population standard deviation of the finite values (NaN when none)."""
        if not self.n:
            return math.nan
        # mean * mean, not mean**2: a float power raises on overflow where a product gives inf.
        return math.sqrt(max(self.total_sq / self.n - self.mean * self.mean, 0.0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "numeric",
            "counts": self.counts.tolist(),
            "n_null": self.n_null,
            "n_nonfinite": self.n_nonfinite,
            "n_invalid": self.n_invalid,
            "total": self.total,
            "total_sq": self.total_sq,
            "min": self.min if math.isfinite(self.min) else None,
            "max": self.max if math.isfinite(self.max) else None,
        }


@dataclass
class CategoricalState:
    """Counts on the vocabulary plus "other", nulls, and the most frequent unseen values."""

    counts: IntArray
    n_null: int = 0
    unseen: HeavyHitters = field(default_factory=HeavyHitters)

    @classmethod
    def empty(cls, spec: CategoricalSpec) -> CategoricalState:
        """No rows yet."""
        return cls(np.zeros(len(spec.vocab) + 1, dtype=np.int64))

    @property
    def n(self) -> int:
        """Rows with a value."""
        return int(self.counts.sum())

    def fold(self, spec: CategoricalSpec, values: Any) -> CategoricalState:
        """Add a batch of raw values (in place)."""
        coded = encode_categorical(spec.vocab, values)
        self.counts += np.bincount(coded.codes, minlength=self.counts.size)
        self.n_null += coded.n_null
        if coded.unseen.size:
            labels, counts = np.unique(coded.unseen.astype(str), return_counts=True)
            self.unseen.add_counts(dict(zip(labels.tolist(), counts.tolist(), strict=True)))
        return self

    def merge(self, other: CategoricalState) -> CategoricalState:
        """A new state holding both."""
        return CategoricalState(
            self.counts + other.counts, self.n_null + other.n_null, self.unseen.merge(other.unseen)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "categorical",
            "counts": self.counts.tolist(),
            "n_null": self.n_null,
            "unseen": self.unseen.to_dict(),
        }


ColumnState = NumericState | CategoricalState


def state_from_dict(data: dict[str, Any]) -> ColumnState:
    """Inverse of ``to_dict`` for either state type."""
    counts = np.asarray(data["counts"], dtype=np.int64)
    if data["type"] == "numeric":
        lo, hi = data.get("min"), data.get("max")
        return NumericState(
            counts,
            int(data["n_null"]),
            int(data["n_nonfinite"]),
            int(data["n_invalid"]),
            float(data["total"]),
            float(data["total_sq"]),
            math.inf if lo is None else float(lo),
            -math.inf if hi is None else float(hi),
        )
    if data["type"] == "categorical":
        return CategoricalState(counts, int(data["n_null"]), HeavyHitters.from_dict(data["unseen"]))
    raise ValueError(f"unknown column state type {data['type']!r}")
