"""What a reference knows about each column: bins or vocabulary, reference counts, thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redline.domain import ColumnKind
from redline.profiles.stats import KL_SMOOTHING, shares

__all__ = ["CategoricalSpec", "ColumnSpec", "NumericSpec", "Role", "spec_from_dict"]

FloatArray = NDArray[np.float64]

#: Interquartile range of a normal distribution in standard deviations.
_IQR_PER_SD = 1.3489795
#: Distances stop counting past Q1 - 3 IQR and Q3 + 3 IQR (Tukey's "far out"), or past the
#: 1st and 99th percentiles when those lie further out (skewed columns).
_FENCE_IQRS = 3.0
_FENCE_LEVELS = (0.01, 0.25, 0.75, 0.99)


class Role(StrEnum):
    """What a column is to the model."""

    FEATURE = "feature"
    TARGET = "target"
    PREDICTION = "prediction"
    CONFIDENCE = "confidence"


class _ReferenceShares:
    """The reference's bin shares, computed once per spec (every window is scored on them)."""

    counts: FloatArray

    @cached_property
    def bin_shares(self) -> FloatArray:
        """Shares of each bin (read-only)."""
        return _read_only(shares(self.counts))

    @cached_property
    def smoothed_shares(self) -> FloatArray:
        """Shares with ``KL_SMOOTHING`` counts added to every bin, as KL and PSI use (read-only)."""
        return _read_only(shares(self.counts, KL_SMOOTHING))


def _read_only(values: FloatArray) -> FloatArray:
    values.setflags(write=False)
    return values


@dataclass(frozen=True)
class NumericSpec(_ReferenceShares):
    """Fixed quantile bins with an underflow and an overflow bin, and reference moments.

    ``edges`` are the inner edges; bin ``i`` of ``counts`` holds values ``v`` with
    ``edges[i-1] <= v < edges[i]``, so bin 0 is underflow and bin ``len(edges)`` overflow.
    """

    name: str
    kind: ColumnKind
    role: Role
    edges: FloatArray
    counts: FloatArray
    n: int
    mean: float
    std: float
    min: float
    max: float
    null_share: float
    thresholds: dict[str, list[float]] = field(default_factory=dict)
    source: str | None = None
    descriptor: str | None = None

    def quantiles(self, levels: Sequence[float]) -> FloatArray:
        """Reference quantiles read off its bins (values spread evenly within each inner bin).

        Examples
        --------
        >>> import redline
        >>> x = np.random.default_rng(0).normal(size=10_000)
        >>> x[0] = 1e9
        >>> spec = redline.fit_reference({"x": x}, window_sizes=[100]).columns["x"]
        >>> [round(float(q), 1) for q in spec.quantiles([0.25, 0.75])]
        [-0.7, 0.7]
        >>> round(spec.std), round(spec.scale, 2), [round(v, 1) for v in spec.fence]
        (9999500, 1.01, [-4.8, 4.8])
        """
        cdf = np.cumsum(self.counts)[:-1] / self.counts.sum()
        out: FloatArray = np.interp(np.asarray(levels, dtype=np.float64), cdf, self.edges)
        return out

    @cached_property
    def fence(self) -> tuple[float, float]:
        """Where distances stop counting how far out a value lies (robust to outliers)."""
        q01, q1, q3, q99 = (float(q) for q in self.quantiles(_FENCE_LEVELS))
        reach = _FENCE_IQRS * (q3 - q1)
        return min(q01, q1 - reach), max(q99, q3 + reach)

    @cached_property
    def scale(self) -> float:
        """The spread that normalises distances: IQR / 1.349, else std, else the bin range.

        The interquartile range is read off the bins, so one extreme reference value cannot
        inflate it the way it inflates the standard deviation.
        """
        q1, q3 = self.quantiles([0.25, 0.75])
        for spread in (
            float(q3 - q1) / _IQR_PER_SD,
            self.std,
            float(self.edges[-1] - self.edges[0]),
        ):
            if spread > 0 and np.isfinite(spread):
                return spread
        return 1.0

    def full_edges(self, lo: float, hi: float) -> FloatArray:
        """Edges of every bin, closing under- and overflow at ``lo`` and ``hi``; within the fence.

        Clipping at the fence bounds how much any one value moves a distance: a value far
        beyond the reference's range counts as if it lay at the fence.
        """
        e = self.edges
        full = np.concatenate([[min(lo, e[0])], e, [max(hi, e[-1])]])
        out: FloatArray = np.clip(full, *self.fence)
        return out

    @cached_property
    def bin_labels(self) -> tuple[str, ...]:
        """A label per bin, underflow and overflow included (for reports)."""
        e = self.edges
        labels = [f"< {e[0]:.4g}"]
        labels += [f"[{e[i]:.4g}, {e[i + 1]:.4g})" for i in range(e.size - 1)]
        labels += [f">= {e[-1]:.4g}"]
        return tuple(labels)

    def nominal_edges(self) -> FloatArray:
        """Edges with under/overflow one outer-bin width wide (for calibration)."""
        e = self.edges
        first = e[1] - e[0] if e.size > 1 else 1.0
        last = e[-1] - e[-2] if e.size > 1 else 1.0
        return self.full_edges(float(e[0] - first), float(e[-1] + last))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "numeric",
            "name": self.name,
            "kind": self.kind.value,
            "role": self.role.value,
            "edges": self.edges.tolist(),
            "counts": self.counts.tolist(),
            "n": self.n,
            "mean": self.mean,
            "std": self.std,
            "min": self.min,
            "max": self.max,
            "null_share": self.null_share,
            "thresholds": self.thresholds,
            "source": self.source,
            "descriptor": self.descriptor,
        }


@dataclass(frozen=True)
class CategoricalSpec(_ReferenceShares):
    """A vocabulary (most frequent first) and reference counts; the last count is "other"."""

    name: str
    kind: ColumnKind
    role: Role
    vocab: tuple[str, ...]
    counts: FloatArray
    n: int
    null_share: float
    unseen_share: float
    thresholds: dict[str, list[float]] = field(default_factory=dict)

    @cached_property
    def bin_labels(self) -> tuple[str, ...]:
        """A label per count: the vocabulary, then "(other)"."""
        return (*self.vocab, "(other)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "type": "categorical",
            "name": self.name,
            "kind": self.kind.value,
            "role": self.role.value,
            "vocab": list(self.vocab),
            "counts": self.counts.tolist(),
            "n": self.n,
            "null_share": self.null_share,
            "unseen_share": self.unseen_share,
            "thresholds": self.thresholds,
        }


ColumnSpec = NumericSpec | CategoricalSpec


def spec_from_dict(data: dict[str, Any]) -> ColumnSpec:
    """Inverse of ``to_dict`` for either spec type."""
    name, kind, role = str(data["name"]), ColumnKind(data["kind"]), Role(data["role"])
    counts = np.asarray(data["counts"], dtype=np.float64)
    n, null_share = int(data["n"]), float(data["null_share"])
    thresholds = {str(k): [float(x) for x in v] for k, v in data["thresholds"].items()}
    if data["type"] == "numeric":
        return NumericSpec(
            name=name,
            kind=kind,
            role=role,
            counts=counts,
            n=n,
            null_share=null_share,
            thresholds=thresholds,
            edges=np.asarray(data["edges"], dtype=np.float64),
            mean=float(data["mean"]),
            std=float(data["std"]),
            min=float(data["min"]),
            max=float(data["max"]),
            source=data.get("source"),
            descriptor=data.get("descriptor"),
        )
    if data["type"] == "categorical":
        return CategoricalSpec(
            name=name,
            kind=kind,
            role=role,
            counts=counts,
            n=n,
            null_share=null_share,
            thresholds=thresholds,
            vocab=tuple(str(v) for v in data["vocab"]),
            unseen_share=float(data["unseen_share"]),
        )
    raise ValueError(f"unknown column type {data['type']!r}")
