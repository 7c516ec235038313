"""Targets and predictions: their kinds, the task they imply, and labels nobody declared.

A 0/1 integer column is a binary class, not a quantity: inferred as numeric, it made the task
regression, and regression raised no performance drop however far accuracy fell.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from redline.domain import ColumnKind
from redline.profiles.encoding import numeric_values
from redline.profiles.kinds import infer_kind

__all__ = [
    "CLASS_NAMES",
    "LABEL_NAMES",
    "TASK_OVERRIDE",
    "infer_task",
    "is_binary",
    "role_kind",
    "warn_label_like",
]

#: Column names that hold the label a model is judged against, whatever their values.
LABEL_NAMES = frozenset({"target", "label", "labels", "y_true", "ground_truth", "truth", "outcome"})
#: Names that hold the label when their values are classes (``y`` may be a coordinate).
CLASS_NAMES = frozenset(
    {"y", "class", "default", "churn", "churned", "fraud", "is_fraud", "survived"}
)
_LABEL_SUFFIX = re.compile(r"[_\-.](label|target)$")
_MAX_CLASSES = 20
_SAMPLE = 100_000
TASK_OVERRIDE = "fit_reference(..., task='regression' or 'classification')"


def is_binary(values: Any) -> bool:
    """Whether a column holds only 0 and 1 (integers or integral floats) or booleans, and nulls.

    >>> is_binary(np.array([0, 1, 1])), is_binary(np.array([0.0, 1.0, np.nan]))
    (True, True)
    >>> is_binary(np.array([0, 1, 2])), is_binary(np.array([0.2, 0.9]))
    (False, False)
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        return arr.size > 0
    if arr.dtype.kind == "O":
        kept = [v for v in arr[:_SAMPLE].tolist() if v is not None and v == v]
        if not all(_is_number(v) for v in kept):
            return False
        arr = np.asarray(kept, dtype=np.float64)
    if arr.dtype.kind not in "iuf":
        return False
    present = arr[~np.isnan(arr)] if arr.dtype.kind == "f" else arr
    return bool(present.size) and bool(np.isin(present, (0, 1)).all())


def _is_number(value: Any) -> bool:
    numeric = isinstance(value, int | float | np.integer | np.floating)
    return numeric and not isinstance(value, bool | np.bool_)


def role_kind(values: Any, *, task: str | None) -> ColumnKind | None:
    """The kind of a target or prediction column: 0/1 values are classes unless told otherwise."""
    inferred = infer_kind(values)
    if task == "regression" or inferred in (None, ColumnKind.BOOLEAN):
        return inferred
    if task == "classification" or is_binary(values):
        return ColumnKind.CATEGORICAL
    return inferred


def infer_task(
    target: tuple[str, ColumnKind], prediction: tuple[str, ColumnKind | None], *, task: str | None
) -> tuple[str, str]:
    """The task to score ``prediction`` against ``target`` with, and a sentence saying why."""
    (t_name, t_kind), (p_name, p_kind) = target, prediction
    if task is not None:
        return task, f"task {task!r} as given"
    if t_kind == ColumnKind.NUMERIC:
        why = f"target {t_name!r} is numeric"
        return "regression", f"regression: {why}; to score classes, pass {TASK_OVERRIDE}"
    if p_kind == ColumnKind.NUMERIC:
        why = f"prediction {p_name!r} holds scores, not classes (pass the predicted class)"
        return "regression", f"regression: {why}; or pass {TASK_OVERRIDE}"
    why = f"target {t_name!r} is {t_kind.value}"
    return "classification", f"classification: {why}; to score numbers, pass {TASK_OVERRIDE}"


def _classes(values: Any) -> bool:
    """Whether values look like classes: not numbers, or few distinct whole numbers."""
    if infer_kind(values) is not ColumnKind.NUMERIC:
        return True
    arr = numeric_values(values).finite[:_SAMPLE]
    return bool(np.all(arr == np.round(arr))) and np.unique(arr).size <= _MAX_CLASSES


def _looks_like_label(name: str, values: Any) -> bool:
    key = name.lower()
    if key in LABEL_NAMES or _LABEL_SUFFIX.search(key):
        return True
    return key in CLASS_NAMES and _classes(values)


def warn_label_like(features: Mapping[str, Any], *, target: str | None) -> None:
    """Warn when no target is declared and a feature is named like a label (``y``, ``churn``)."""
    if target is not None:
        return
    suspects = [name for name, values in features.items() if _looks_like_label(name, values)]
    if suspects:
        warnings.warn(
            f"column {suspects[0]!r} looks like the label but no target= was given, so it is "
            f"monitored as an input feature (its nulls and drift will raise incidents); pass "
            f"target={suspects[0]!r} to fit_reference (or --target on the command line)",
            UserWarning,
            stacklevel=3,
        )
