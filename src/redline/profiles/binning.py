"""Exact bin lookup through a uniform grid: ``searchsorted(edges, x, side="right")``, faster."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["N_CELLS", "BinLookup", "bin_counts", "bin_lookup"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
CountArray = NDArray[np.int64]

N_CELLS = 8192
_MIN_SIZE = 1024  # below this, plain searchsorted is as fast as the grid's fixed cost
_CHUNK = 32_768  # values per pass: the temporaries stay in cache, with no fresh page faults
_FENCE_IQRS = 64.0  # the grid stops this many interquartile ranges out, so far tails stay out
_MAX_SHARED = 4  # edges in one cell resolved by comparisons; more go to searchsorted


@dataclass(frozen=True, slots=True, eq=False)
class BinLookup:
    """A uniform grid of cells; each cell knows how many edges lie below it and which lie in it.

    Values are clipped to ``[low, high]``, shifted by ``low``, scaled by ``per_unit`` and
    truncated. Each step is a monotone floating-point operation, so the cell of ``x`` is a
    non-decreasing function of ``x``: an edge whose cell is below (above) the cell of ``x`` is
    below (above) ``x`` itself, whatever the rounding. The bin of ``x`` is then the number of
    edges in lower cells plus the edges of its own cell that are ``<= x``; a cell holding no
    edge needs no comparison at all, and one holding more than a few falls back to searchsorted.

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
    below: IntArray  # edges in lower cells, per cell
    shared: NDArray[np.bool_]  # the cell holds at least one edge
    crowded: NDArray[np.bool_]  # the cell holds more than _MAX_SHARED edges
    cell_edges: FloatArray  # (k, cells): the edges in each cell, padded with +inf

    @classmethod
    def build(cls, edges: FloatArray, n_cells: int = N_CELLS) -> BinLookup | None:
        """The lookup for sorted ``edges``, or None when they span no usable grid."""
        edges = np.ascontiguousarray(edges, dtype=np.float64)
        if edges.size < 4 or not np.isfinite(edges).all():
            return None
        low, high = _grid_span(edges)
        width = (high - low) / n_cells
        if not (np.isfinite(width) and width > np.finfo(np.float64).tiny):
            return None
        none_bool = np.empty(0, np.bool_)
        bare = cls(edges, low, high, 1.0 / width, np.empty(0, np.intp), none_bool, none_bool, edges)
        size = int(bare.cells(np.array([high]))[0]) + 1
        edge_cells = bare.cells(edges)
        per_cell = np.bincount(edge_cells, minlength=size)
        below = np.searchsorted(edge_cells, np.arange(size), side="left").astype(np.intp)
        cell_edges = np.full((min(int(per_cell.max()), _MAX_SHARED), size), np.inf)
        rank = np.arange(edges.size) - below[edge_cells]
        fits = rank < cell_edges.shape[0]
        cell_edges[rank[fits], edge_cells[fits]] = edges[fits]
        return cls(
            edges, low, high, bare.per_unit, below, per_cell > 0, per_cell > _MAX_SHARED, cell_edges
        )

    def cells(self, x: FloatArray) -> IntArray:
        """The grid cell of each finite value (a non-decreasing function of the value)."""
        return self._cells_into(x, np.empty(x.shape), np.empty(x.shape, dtype=np.intp))

    def _cells_into(self, x: FloatArray, shifted: FloatArray, out: IntArray) -> IntArray:
        np.clip(x, self.low, self.high, out=shifted)
        np.subtract(shifted, self.low, out=shifted)
        np.multiply(shifted, self.per_unit, out=out, casting="unsafe")
        return out

    def _resolve(self, x: FloatArray, cells: IntArray) -> IntArray:
        """Bins of values that share their cell with edges."""
        out = self.below[cells]
        for row in self.cell_edges:
            out += x >= row[cells]
        crowded = self.crowded[cells]
        if crowded.any():
            out[crowded] = np.searchsorted(self.edges, x[crowded], side="right")
        return out

    def indices(self, x: FloatArray) -> IntArray:
        """Same as ``np.searchsorted(self.edges, x, side="right")`` for finite ``x``."""
        cells = self.cells(x)
        out = self.below[cells]
        shared = self.shared[cells]
        out[shared] = self._resolve(x[shared], cells[shared])
        return out

    def counts(self, x: FloatArray) -> CountArray:
        """Same as ``np.bincount(self.indices(x), minlength=edges.size + 1)``, in fewer passes."""
        n_bins = self.edges.size + 1
        per_cell = np.zeros(self.below.size, dtype=np.intp)
        resolved = np.zeros(n_bins, dtype=np.intp)
        size = min(_CHUNK, x.size)
        shifted, cells, mask = np.empty(size), np.empty(size, np.intp), np.empty(size, np.bool_)
        for start in range(0, x.size, _CHUNK):
            part = x[start : start + _CHUNK]
            n = part.size
            part_cells = self._cells_into(part, shifted[:n], cells[:n])
            per_cell += np.bincount(part_cells, minlength=per_cell.size)
            hits = np.flatnonzero(np.take(self.shared, part_cells, out=mask[:n]))
            if hits.size:
                bins = self._resolve(part[hits], part_cells[hits])
                resolved += np.bincount(bins, minlength=n_bins)
        clear = ~self.shared
        # Float weights are exact for integer counts below 2**53.
        out = np.bincount(self.below[clear], weights=per_cell[clear], minlength=n_bins)
        result: CountArray = out.astype(np.int64) + resolved
        return result


def _grid_span(edges: FloatArray) -> tuple[float, float]:
    """The edges' range, cut at fences far outside their middle half (so heavy tails stay out)."""
    q1, q3 = float(edges[edges.size // 4]), float(edges[3 * edges.size // 4])
    fence = _FENCE_IQRS * (q3 - q1)
    return max(float(edges[0]), q1 - fence), min(float(edges[-1]), q3 + fence)


@functools.lru_cache(maxsize=256)
def _cached_lookup(key: bytes) -> BinLookup | None:
    return BinLookup.build(np.frombuffer(key, dtype=np.float64).copy())


def bin_lookup(edges: FloatArray) -> BinLookup | None:
    """The lookup for ``edges``, built once per distinct edges (a bounded cache)."""
    return _cached_lookup(np.ascontiguousarray(edges, dtype=np.float64).tobytes())


def bin_counts(edges: FloatArray, x: FloatArray) -> CountArray:
    """Rows of finite ``x`` in each bin of ``edges`` (``edges.size + 1`` bins, side="right").

    >>> bin_counts(np.array([0.0, 1.0]), np.array([-1.0, 0.0, 0.5, 1.0, 2.0])).tolist()
    [1, 2, 2]
    """
    lookup = bin_lookup(edges) if x.size >= _MIN_SIZE else None
    if lookup is None:
        idx = np.searchsorted(edges, x, side="right")
        result: CountArray = np.bincount(idx, minlength=edges.size + 1).astype(np.int64)
        return result
    return lookup.counts(x)
