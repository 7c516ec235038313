"""Exact bin lookup through a uniform grid: ``searchsorted(edges, x, side="right")``, faster."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["N_CELLS", "BinLookup", "bin_counts", "bin_lookup"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

N_CELLS = 4096
_MIN_SIZE = 1024  # below this, plain searchsorted is as fast as the grid's fixed cost


@dataclass(frozen=True, slots=True, eq=False)
class BinLookup:
    """A uniform grid over the inner edges, mapping each cell to its bin (-1 when an edge is in it).

    Values are clipped to ``[low, high]``, shifted by ``low``, scaled by ``per_unit`` and
    truncated. Each step is a monotone floating-point operation, so the cell of ``x`` is a
    non-decreasing function of ``x``: an edge whose cell is below (above) the cell of ``x`` is
    below (above) ``x`` itself. A cell no edge maps into therefore has one bin for all its
    values, exactly, whatever the rounding; values in the other cells go to searchsorted.

    Examples
    --------
    >>> edges = np.array([0.0, 1.0, 2.5, 4.0, 9.0])
    >>> x = np.array([-3.0, 0.0, 0.99, 1.0, 3.0, 4.0, 8.9, 9.0, 1e300])
    >>> lookup = BinLookup.build(edges, n_cells=16)
    >>> lookup.indices(x).tolist()
    [0, 1, 1, 2, 3, 4, 4, 5, 5]
    >>> bool((lookup.indices(x) == np.searchsorted(edges, x, side="right")).all())
    True
    >>> lookup.counts(x).tolist()
    [1, 2, 1, 1, 2, 2]
    """

    edges: FloatArray
    low: float
    high: float
    per_unit: float
    cell_bins: IntArray
    ambiguous: NDArray[np.bool_]

    @classmethod
    def build(cls, edges: FloatArray, n_cells: int = N_CELLS) -> BinLookup | None:
        """The lookup for sorted ``edges``, or None when they span no usable grid."""
        edges = np.ascontiguousarray(edges, dtype=np.float64)
        if edges.size < 4 or not np.isfinite(edges).all():
            return None
        # The grid spans the inner edges only: the outer ones are the reference's min and max,
        # which on heavy tails would stretch the cells until most of them held an edge.
        width = (float(edges[-2]) - float(edges[1])) / n_cells
        low, high = float(edges[1]) - width, float(edges[-2]) + width
        if not (np.isfinite(high - low) and width > np.finfo(np.float64).tiny):
            return None
        per_unit = 1.0 / width
        if not np.isfinite(per_unit):
            return None
        lookup = cls(edges, low, high, per_unit, np.empty(0, np.intp), np.empty(0, np.bool_))
        size = int(lookup.cells(np.array([high]))[0]) + 1
        if size > 2 * n_cells + 8:
            return None
        edge_cells = lookup.cells(edges)
        ambiguous = np.zeros(size, dtype=np.bool_)
        ambiguous[edge_cells] = True
        below = np.searchsorted(edge_cells, np.arange(size), side="left")
        cell_bins = np.where(ambiguous, -1, below).astype(np.intp)
        return cls(edges, low, high, per_unit, cell_bins, ambiguous)

    def cells(self, x: FloatArray) -> IntArray:
        """The grid cell of each finite value (a non-decreasing function of the value)."""
        shifted = np.clip(x, self.low, self.high)
        np.subtract(shifted, self.low, out=shifted)
        out = np.empty(shifted.shape, dtype=np.intp)
        np.multiply(shifted, self.per_unit, out=out, casting="unsafe")
        return out

    def indices(self, x: FloatArray) -> IntArray:
        """Same as ``np.searchsorted(self.edges, x, side="right")`` for finite ``x``."""
        out = self.cell_bins[self.cells(x)]
        unsure = out < 0
        out[unsure] = np.searchsorted(self.edges, x[unsure], side="right")
        return out

    def counts(self, x: FloatArray) -> NDArray[np.int64]:
        """Same as ``np.bincount(self.indices(x), minlength=edges.size + 1)``, in fewer passes."""
        n_bins = self.edges.size + 1
        cells = self.cells(x)
        per_cell = np.bincount(cells, minlength=self.cell_bins.size)
        clear = ~self.ambiguous
        # Float weights are exact for integer counts below 2**53.
        out = np.bincount(self.cell_bins[clear], weights=per_cell[clear], minlength=n_bins)
        unsure = x[self.ambiguous[cells]]
        extra = np.bincount(np.searchsorted(self.edges, unsure, side="right"), minlength=n_bins)
        result: NDArray[np.int64] = out.astype(np.int64) + extra
        return result


@functools.lru_cache(maxsize=256)
def _cached_lookup(key: bytes) -> BinLookup | None:
    return BinLookup.build(np.frombuffer(key, dtype=np.float64).copy())


def bin_lookup(edges: FloatArray) -> BinLookup | None:
    """The lookup for ``edges``, built once per distinct edges (a bounded cache)."""
    return _cached_lookup(np.ascontiguousarray(edges, dtype=np.float64).tobytes())


def bin_counts(edges: FloatArray, x: FloatArray) -> NDArray[np.int64]:
    """Rows of finite ``x`` in each bin of ``edges`` (``edges.size + 1`` bins, side="right").

    >>> bin_counts(np.array([0.0, 1.0]), np.array([-1.0, 0.0, 0.5, 1.0, 2.0])).tolist()
    [1, 2, 2]
    """
    lookup = bin_lookup(edges) if x.size >= _MIN_SIZE else None
    if lookup is None:
        idx = np.searchsorted(edges, x, side="right")
        result: NDArray[np.int64] = np.bincount(idx, minlength=edges.size + 1).astype(np.int64)
        return result
    return lookup.counts(x)
