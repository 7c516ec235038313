"""Realized-performance drops: a window's metrics against the reference's baseline metrics.

A drop needs two things: chance cannot explain it (a one-sided exact test of each proportion
against the baseline's, with both sample sizes, at ``alpha`` shared by the metrics judged), and
it is big enough to matter (an absolute floor). A bare relative floor is not enough: a class
caught 7.3% of the time falls 20% below that by chance in about one window in five.

Regression: the mean absolute error rising beyond a one-sided Welch bound (the spread of the
absolute errors is sqrt(rmse² - mae²), so baselines need no new field) and by a relative floor.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scipy.special import ndtr, ndtri

from redline.profiles.proportions import critical_count, drop_p_value, wilson_interval

__all__ = ["PerformanceDrop", "performance_drops"]

_EPS = 1e-12  # so that a drop of exactly the floor does not fire on rounding


@dataclass(frozen=True, slots=True)
class PerformanceDrop:
    """One metric significantly and materially worse than its baseline.

    A class's recall or accuracy (fires below ``threshold``; ``interval`` is the 95% Wilson
    interval of ``current``), or a regression's ``mae`` (fires above ``threshold``; ``interval``
    is the 95% normal interval) at this window's labelled ``n``.
    """

    statistic: str
    column: str | None
    baseline: float
    current: float
    threshold: float
    p_value: float = 0.0
    n: int = 0
    n_baseline: int = 0
    interval: tuple[float, float] = (0.0, 1.0)


@dataclass(frozen=True, slots=True)
class _Check:
    statistic: str
    column: str | None
    k_now: int
    n_now: int
    k_base: int
    n_base: int
    floor: float


def _checks(
    baseline: Mapping[str, Any], current: Mapping[str, Any], floors: tuple[float, float], least: int
) -> list[_Check]:
    """Accuracy, and the recall of each class with a baseline and ``least`` labels now."""
    accuracy = _Check(
        "accuracy",
        None,
        round(current["accuracy"] * current["n"]),
        int(current["n"]),
        round(baseline["accuracy"] * baseline["n"]),
        int(baseline["n"]),
        floors[0],
    )
    out = [accuracy]
    for name, base in baseline["per_class"].items():
        now = current["per_class"].get(name)
        if not base["recall"] or now is None or now["support"] < max(least, 1):
            continue
        k_now, k_base = (
            round(now["recall"] * now["support"]),
            round(base["recall"] * base["support"]),
        )
        out.append(
            _Check("recall", name, k_now, now["support"], k_base, base["support"], floors[1])
        )
    return out


def _judge(check: _Check, alpha: float) -> PerformanceDrop | None:
    base, now = check.k_base / check.n_base, check.k_now / check.n_now
    critical = critical_count(check.n_now, check.k_base, check.n_base, alpha)
    threshold = round(min((critical + 1) / check.n_now, base - check.floor), 12)
    if now >= threshold - _EPS:
        return None
    return PerformanceDrop(
        statistic=check.statistic,
        column=check.column,
        baseline=base,
        current=now,
        threshold=max(threshold, 0.0),
        p_value=drop_p_value(check.k_now, check.n_now, check.k_base, check.n_base),
        n=check.n_now,
        n_baseline=check.n_base,
        interval=wilson_interval(check.k_now, check.n_now),
    )


def _spread(metrics: Mapping[str, Any]) -> float:
    """Standard deviation of the absolute errors: E[e^2] - E[|e|]^2 under the root."""
    return math.sqrt(max(float(metrics["rmse"]) ** 2 - float(metrics["mae"]) ** 2, 0.0))


def _mae_rise(
    baseline: Mapping[str, Any], current: Mapping[str, Any], alpha: float, floor: float
) -> PerformanceDrop | None:
    n, n_base = int(current["n"]), int(baseline["n"])
    base, now = float(baseline["mae"]), float(current["mae"])
    error = math.sqrt(_spread(current) ** 2 / n + _spread(baseline) ** 2 / n_base)
    threshold = max(base + float(ndtri(1 - alpha)) * error, base * (1 + floor))
    if now <= threshold + _EPS:
        return None
    half = 1.959964 * _spread(current) / math.sqrt(n)
    return PerformanceDrop(
        statistic="mae",
        column=None,
        baseline=base,
        current=now,
        threshold=threshold,
        p_value=float(ndtr(-(now - base) / error)) if error > 0 else 0.0,
        n=n,
        n_baseline=n_base,
        interval=(max(now - half, 0.0), now + half),
    )


def performance_drops(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    alpha: float = 0.001,
    min_accuracy_drop: float = 0.05,
    min_recall_drop: float = 0.1,
    min_class_labels: int = 10,
    min_mae_increase: float = 0.2,
) -> list[PerformanceDrop]:
    """Metrics worse than the baseline beyond chance and by at least a floor.

    Each metric is a proportion compared with the baseline's by a one-sided exact test at
    ``alpha`` divided by the number of metrics judged, so a window without change raises a
    drop with probability at most ``alpha``. A drop must also exceed its absolute floor:
    ``min_accuracy_drop``, or ``min_recall_drop`` for the recall of a class that has
    ``min_class_labels`` labels in ``current``. A regression's mean absolute error must rise
    beyond the one-sided (1 - alpha) Welch bound and by ``min_mae_increase`` of the baseline.

    >>> from redline.profiles.performance import classification_metrics
    >>> base = classification_metrics([0] * 500 + [1] * 500, [0] * 500 + [1] * 450 + [0] * 50)
    >>> now = classification_metrics([0] * 100 + [1] * 100, [0] * 100 + [1] * 40 + [0] * 60)
    >>> [(d.statistic, d.column, d.current) for d in performance_drops(base, now)]
    [('accuracy', None, 0.7), ('recall', '1', 0.4)]
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if not (0 <= min_recall_drop < 1 and 0 <= min_accuracy_drop < 1 and min_mae_increase >= 0):
        raise ValueError(
            "min_recall_drop and min_accuracy_drop must be in [0, 1), min_mae_increase >= 0"
        )
    tasks = {baseline.get("task"), current.get("task")}
    if tasks == {"regression"}:
        rise = _mae_rise(baseline, current, alpha, min_mae_increase)
        return [rise] if rise is not None else []
    if tasks != {"classification"}:
        return []
    floors = (min_accuracy_drop, min_recall_drop)
    checks = _checks(baseline, current, floors, min_class_labels)
    level = alpha / len(checks)
    return [drop for check in checks if (drop := _judge(check, level)) is not None]
