"""Synthetic references and windows with injected drifts, attacks and onsets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

import redline
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

FEATURES = ("x1", "x2", "x3", "x4")
REGIONS = ("north", "south", "east", "west")
SOURCES = tuple(f"10.0.{i}.0/24" for i in range(6))
ATTACKER = "203.0.113.0/24"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def reference(seed: int = 7) -> Reference:
    """Four numeric features and a region, plus a score the model outputs."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {name: rng.normal(size=20_000) for name in FEATURES}
    data["region"] = rng.choice(REGIONS, 20_000)
    data["score"] = rng.uniform(size=20_000)
    return redline.fit_reference(data, prediction="score", window_sizes=[500, 2_000])


def rows(
    rng: np.random.Generator, n: int, shifts: dict[str, float] | None = None
) -> dict[str, Any]:
    """``n`` normal rows; ``shifts`` moves features by that many standard deviations."""
    shifts = shifts or {}
    data: dict[str, Any] = {name: rng.normal(shifts.get(name, 0.0), 1.0, n) for name in FEATURES}
    data["region"] = rng.choice(REGIONS, n)
    data["score"] = rng.uniform(size=n)
    return data


def window(
    ref: Reference,
    rng: np.random.Generator,
    index: int,
    *,
    n: int = 1_000,
    shifts: dict[str, float] | None = None,
    attack: int = 0,
) -> WindowProfile:
    """Window ``index`` (hourly) of normal rows from six sources; ``attack`` rows of it come
    from one IP range and are far out of the reference's range in x2, in region "west"."""
    start = T0 + timedelta(hours=index)
    w = WindowProfile.empty(ref, start=start, end=start + timedelta(hours=1))
    normal = n - attack
    sources: list[str | None] = list(rng.choice(SOURCES, normal))
    w.fold(ref, rows(rng, normal, shifts), sources=sources, sample_seed=index)
    if attack:
        bad = rows(rng, attack)
        bad["x2"] = rng.normal(9.0, 0.5, attack)
        bad["region"] = np.array(["west"] * attack)
        w.fold(ref, bad, sources=[ATTACKER] * attack, sample_seed=index + 1000)
    return w
