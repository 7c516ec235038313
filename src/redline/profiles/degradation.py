"""Realized-performance drops: a window's metrics against the reference's baseline metrics.

A drop needs two things: chance cannot explain it (a one-sided exact test of each proportion
against the baseline's, with both sample sizes, at ``alpha`` shared by the metrics judged), and
it is big enough to matter (an absolute floor). A bare relative floor is not enough: a class
caught 7.3% of the time falls 20% below that by chance in about one window in five.

Regression: the mean absolute error rising beyond a one-sided Welch bound (the spread of the
absolute errors is sqrt(rmse² - mae²), so baselines need no new field) and by a relative floor.

A drop is confirmed (an alarm, not a warning) when chance is out of the question at once
(``at_once_alpha``) or when it stands again, test and floor, in the window pooled with the one
before it. On no change a window alone drops with probability at most ``alpha`` (a warning); a
drop is confirmed with under 15% of that (computed exactly in the tests for rates of 0.07 to
0.82 and 50 to 250 labels a window), and an overwhelming one needs no second window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from redline.profiles.proportions import critical_count, drop_p_value, wilson_interval

__all__ = ["PerformanceDrop", "performance_drops", "pooled_metrics"]

_EPS = 1e-12  # so that a drop of exactly the floor does not fire on rounding


@dataclass(frozen=True, slots=True)
class PerformanceDrop:
    """One metric significantly and materially worse than its baseline.

    A class's recall or accuracy (fires below ``threshold``; ``interval`` is the 95% Wilson
    interval of ``current``), or a regression's ``mae`` (fires above ``threshold``; ``interval``
    is the 95% normal interval) at this window's labelled ``n``. ``confirmed``: overwhelming
    alone (p within ``at_once_alpha``) or standing again in the ``pooled_n`` labels of this
    window and the one before (``pooled_current``, ``pooled_p_value``).
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
    confirmed: bool = False
    pooled_n: int = 0
    pooled_current: float | None = None
    pooled_p_value: float | None = None


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
    from scipy.special import ndtr, ndtri  # at first use, not at import

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


def pooled_metrics(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """The metrics two windows' labels give together (counts added; what a drop is judged on).

    >>> from redline.profiles.performance import classification_metrics
    >>> a = classification_metrics([0, 0, 1, 1], [0, 1, 1, 1])
    >>> b = classification_metrics([1, 1], [0, 0])
    >>> m = pooled_metrics(a, b)
    >>> m["n"], m["accuracy"], m["per_class"]["1"]
    (6, 0.5, {'recall': 0.5, 'support': 4})
    """
    both = (first, second)
    n = sum(int(m["n"]) for m in both)
    if first.get("task") == "regression":
        mae = sum(float(m["mae"]) * int(m["n"]) for m in both) / n
        squares = sum(float(m["rmse"]) ** 2 * int(m["n"]) for m in both) / n
        return {"task": "regression", "n": n, "mae": mae, "rmse": math.sqrt(squares)}
    hits: dict[str, int] = {}
    support: dict[str, int] = {}
    for metrics in both:
        for name, stats in metrics["per_class"].items():
            hits[name] = hits.get(name, 0) + round((stats["recall"] or 0.0) * stats["support"])
            support[name] = support.get(name, 0) + int(stats["support"])
    correct = sum(round(float(m["accuracy"]) * int(m["n"])) for m in both)
    per_class = {
        name: {"recall": hits[name] / count if count else None, "support": count}
        for name, count in support.items()
    }
    return {"task": "classification", "n": n, "accuracy": correct / n, "per_class": per_class}


@dataclass(frozen=True, slots=True)
class _Limits:
    accuracy: float
    recall: float
    least: int
    mae: float


def _drops(
    baseline: Mapping[str, Any], current: Mapping[str, Any], alpha: float, limits: _Limits
) -> tuple[list[PerformanceDrop], int]:
    """Drops of one set of labels at ``alpha`` shared by the metrics judged, and their number."""
    tasks = {baseline.get("task"), current.get("task")}
    if tasks == {"regression"}:
        rise = _mae_rise(baseline, current, alpha, limits.mae)
        return ([rise] if rise is not None else []), 1
    if tasks != {"classification"}:
        return [], 0
    checks = _checks(baseline, current, (limits.accuracy, limits.recall), limits.least)
    level = alpha / len(checks)
    return [drop for check in checks if (drop := _judge(check, level)) is not None], len(checks)


def _confirm(
    drop: PerformanceDrop, pooled: Mapping[tuple[str, str | None], PerformanceDrop], at_once: float
) -> PerformanceDrop:
    again = pooled.get((drop.statistic, drop.column))
    return replace(
        drop,
        confirmed=drop.p_value <= at_once or again is not None,
        pooled_n=again.n if again is not None else 0,
        pooled_current=again.current if again is not None else None,
        pooled_p_value=again.p_value if again is not None else None,
    )


def performance_drops(
    baseline: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    previous: Mapping[str, Any] | None = None,
    alpha: float = 0.001,
    at_once_alpha: float = 1e-6,
    min_accuracy_drop: float = 0.05,
    min_recall_drop: float = 0.1,
    min_class_labels: int = 10,
    min_mae_increase: float = 0.2,
) -> list[PerformanceDrop]:
    """Metrics worse than the baseline beyond chance and by at least a floor; which confirmed.

    Each metric is a proportion compared with the baseline's by a one-sided exact test at
    ``alpha`` divided by the number of metrics judged, so a window without change raises a
    drop with probability at most ``alpha``. A drop must also exceed its absolute floor:
    ``min_accuracy_drop``, or ``min_recall_drop`` for the recall of a class that has
    ``min_class_labels`` labels in ``current``. A regression's mean absolute error must rise
    beyond the one-sided (1 - alpha) Welch bound and by ``min_mae_increase`` of the baseline.
    A drop is ``confirmed`` when its p-value is within ``at_once_alpha`` (shared likewise) or
    when the same metric drops again, test and floor, in ``current`` pooled with ``previous``
    (the metrics of the window before, if it had enough labels).

    >>> from redline.profiles.performance import classification_metrics
    >>> base = classification_metrics([0] * 500 + [1] * 500, [0] * 500 + [1] * 450 + [0] * 50)
    >>> now = classification_metrics([0] * 100 + [1] * 100, [0] * 100 + [1] * 40 + [0] * 60)
    >>> [(d.statistic, d.column, d.current, d.confirmed) for d in performance_drops(base, now)]
    [('accuracy', None, 0.7, True), ('recall', '1', 0.4, True)]
    """
    if not (0 < alpha < 1 and 0 < at_once_alpha < 1):
        raise ValueError(f"alpha and at_once_alpha must be in (0, 1), got {alpha}, {at_once_alpha}")
    if not (0 <= min_recall_drop < 1 and 0 <= min_accuracy_drop < 1 and min_mae_increase >= 0):
        raise ValueError(
            "min_recall_drop and min_accuracy_drop must be in [0, 1), min_mae_increase >= 0"
        )
    limits = _Limits(min_accuracy_drop, min_recall_drop, min_class_labels, min_mae_increase)
    drops, tests = _drops(baseline, current, alpha, limits)
    if not drops:
        return []
    pooled: dict[tuple[str, str | None], PerformanceDrop] = {}
    if previous is not None and previous.get("task") == current.get("task"):
        again, _ = _drops(baseline, pooled_metrics(previous, current), alpha, limits)
        pooled = {(d.statistic, d.column): d for d in again}
    at_once = min(at_once_alpha, alpha) / tests
    return [_confirm(drop, pooled, at_once) for drop in drops]
