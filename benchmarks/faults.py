"""Faults injected into windows of real data, and the signal kinds that count as detecting them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

import null_signals as sig
import null_streams as ns
from redline.domain import Signal

#: Per table: (numeric column for the unit change, categorical for the remap, column for nulls).
COLUMNS = {
    "flights": ("distance", "carrier", "dep_delay"),
    "diamonds": ("carat", "cut", "depth"),
    "fertility": ("age", "gender1", "work"),
    "insteval": ("lectage", "dept", "studage"),
    "cps1988": ("wage", "region", "experience"),
}

#: Signal kinds (as ``null_signals.signal_key`` names them) that detect each fault.
EXPECTED = {
    "unit_change": frozenset({"numeric_drift", "out_of_range"}),
    "category_remap": frozenset({"mapping_error", "categorical_drift"}),
    "nulls": frozenset({"null_jump"}),
    "label_shift": frozenset({"prediction_drift", "performance_drop"}),
    "seasonal": frozenset({"numeric_drift", "categorical_drift", "prediction_drift"}),
    "collapse": frozenset({"performance_drop"}),
}

#: Which of a table's ``COLUMNS`` a fault changes (the others change no single column).
_COLUMN_INDEX = {"unit_change": 0, "category_remap": 1, "nulls": 2}

Window = Callable[[np.random.Generator], pd.DataFrame]


def column_of(fault: str, real: ns.RealSet) -> str | None:
    """The column ``fault`` changes in ``real``, if it changes one."""
    index = _COLUMN_INDEX.get(fault)
    return None if index is None else COLUMNS[real.name][index]


def detector(fault: str, real: ns.RealSet) -> Callable[[Signal], bool]:
    """Whether a signal detects ``fault``: a kind that does, on the faulted column if any."""
    kinds, column = EXPECTED[fault], column_of(fault, real)
    return lambda s: sig.signal_key(s) in kinds and (column is None or s.column == column)


def _unit(real: ns.RealSet, size: int) -> Window:
    column = COLUMNS[real.name][0]

    def make(rng: np.random.Generator) -> pd.DataFrame:
        frame = ns.draw(real.pool, size, rng).copy()
        frame[column] = frame[column].astype(np.float64) * 100.0
        return real.outputs(frame)

    return make


def _remap(real: ns.RealSet, size: int) -> Window:
    column = COLUMNS[real.name][1]
    a, b = real.reference[column].value_counts().index[:2]

    def make(rng: np.random.Generator) -> pd.DataFrame:
        frame = ns.draw(real.pool, size, rng).copy()
        values = frame[column].to_numpy(dtype=object)
        frame[column] = np.where(values == a, b, np.where(values == b, a, values))
        return real.outputs(frame)

    return make


def _nulls(real: ns.RealSet, size: int) -> Window:
    column = COLUMNS[real.name][2]

    def make(rng: np.random.Generator) -> pd.DataFrame:
        frame = ns.draw(real.pool, size, rng).copy()
        values = frame[column].to_numpy(dtype=np.float64, copy=True)
        values[rng.random(size) < 0.3] = np.nan
        frame[column] = values
        return real.outputs(frame)

    return make


def _label_shift(real: ns.RealSet, size: int) -> Window:
    """The rarest class (or, for a numeric target, its top quartile) twice as common."""
    target = real.pool[real.table.target]
    if real.classifier:
        rare = target == target.value_counts().index[-1]
    else:
        rare = target > target.quantile(0.75)
    share = min(2.0 * float(rare.mean()), 0.9)
    inside, outside = real.pool[rare.to_numpy()], real.pool[~rare.to_numpy()]

    def make(rng: np.random.Generator) -> pd.DataFrame:
        k = round(share * size)
        parts = [ns.draw(inside, k, rng), ns.draw(outside, size - k, rng)]
        return pd.concat(parts).sample(frac=1.0, random_state=int(rng.integers(2**31)))

    return make


def _collapse(real: ns.RealSet, size: int) -> Window:
    """A much worse model whose outputs look like the good one's: same shares, no skill."""
    served = real.reference[ns.PREDICTION].to_numpy()

    def make(rng: np.random.Generator) -> pd.DataFrame:
        frame = ns.draw(real.pool, size, rng).copy()
        frame[ns.PREDICTION] = served[rng.choice(served.size, size=size)]
        return frame

    return make


def seasonal(real: ns.RealSet, seed: int) -> tuple[ns.RealSet, Window]:
    """Flights: reference and null pool from January–March, fault windows from July."""
    rows = pd.concat([real.reference, real.pool], ignore_index=True)
    winter = rows[rows["month"].isin([1, 2, 3])].sample(frac=1.0, random_state=seed)
    half = len(winter) // 2
    season = replace(
        real,
        reference=winter.iloc[:half].reset_index(drop=True),
        pool=winter.iloc[half:].reset_index(drop=True),
    )
    july = rows[rows["month"] == 7].reset_index(drop=True)
    size = real.table.window
    return season, lambda rng: ns.draw(july, size, rng)


MAKERS: dict[str, Callable[[ns.RealSet, int], Window]] = {
    "unit_change": _unit,
    "category_remap": _remap,
    "nulls": _nulls,
    "label_shift": _label_shift,
    "collapse": _collapse,
}


def null_of(real: ns.RealSet) -> Window:
    """A maker of null windows of ``real`` (random rows of its pool)."""
    size = min(real.table.window, len(real.pool) // 2)
    return lambda rng: ns.draw(real.pool, size, rng)


def window_of(fault: str, real: ns.RealSet) -> Window:
    """A maker of faulty 1,000-row windows (the table's window size) of ``real``."""
    return MAKERS[fault](real, min(real.table.window, len(real.pool) // 2))


def describe(fault: str, real: ns.RealSet) -> str:
    """What was injected, in words."""
    num, cat, nul = COLUMNS.get(real.name, ("-", "-", "-"))
    words: dict[str, Any] = {
        "unit_change": f"{num} ×100",
        "category_remap": f"two most frequent {cat} labels swapped",
        "nulls": f"30% of {nul} null",
        "label_shift": "rarest class (numeric target: top quartile) twice as common",
        "seasonal": "January–March reference, July windows",
        "collapse": "predictions drawn from those served on the reference (no skill); labels back",
    }
    return str(words[fault])
