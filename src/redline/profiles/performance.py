"""Realized performance: classification and regression metrics of predictions against labels.

Metrics are plain JSON-ready dicts, so a reference can keep them as its baseline. Classes are
keyed by text (``1``, ``1.0`` and ``np.int64(1)`` are all ``"1"``), so labels that went through
JSON compare equal to the ones a reference was fitted on. An undefined ratio (the precision of
a class never predicted, the recall of a class never seen) is None, not 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redline.errors import DataError

__all__ = [
    "TASKS",
    "class_key",
    "classification_metrics",
    "performance_metrics",
    "regression_metrics",
]


def class_key(value: Any) -> str:
    """The text a class is keyed by: integral numbers without a fraction, booleans as True/False.

    >>> class_key(1.0), class_key(np.int64(1)), class_key(True), class_key("fraud")
    ('1', '1', 'True', 'fraud')
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if (
        isinstance(value, float | np.floating)
        and math.isfinite(value)
        and float(value).is_integer()
    ):
        return str(int(value))
    return str(value)


def _keys(values: ArrayLike) -> NDArray[np.str_]:
    arr = np.asarray(values)
    if arr.dtype.kind in "iub":
        return arr.astype(str)
    if arr.dtype.kind == "U":
        return arr
    return np.array([class_key(v) for v in arr.tolist()], dtype=str)


def _paired(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[NDArray[Any], NDArray[Any]]:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.ndim != 1 or t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must be 1-d and equally long, got {t.shape} {p.shape}")
    if t.size == 0:
        raise DataError("no labelled predictions to score")
    return t, p


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def classification_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, Any]:
    """Accuracy, per-class precision/recall/support and macro recall of predicted classes.

    >>> m = classification_metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    >>> m["accuracy"], m["per_class"]["a"], m["macro_recall"]
    (0.75, {'precision': 1.0, 'recall': 0.5, 'support': 2}, 0.75)
    """
    t, p = _paired(y_true, y_pred)
    classes, codes = np.unique(np.concatenate([_keys(t), _keys(p)]), return_inverse=True)
    truth, guess = codes[: t.size], codes[t.size :]
    k = classes.size
    support = np.bincount(truth, minlength=k)
    predicted = np.bincount(guess, minlength=k)
    hits = np.bincount(truth[truth == guess], minlength=k)
    per_class = {
        str(name): {
            "precision": _ratio(int(hits[i]), int(predicted[i])),
            "recall": _ratio(int(hits[i]), int(support[i])),
            "support": int(support[i]),
        }
        for i, name in enumerate(classes)
    }
    recalls = [c["recall"] for c in per_class.values() if c["recall"] is not None]
    return {
        "task": "classification",
        "n": int(t.size),
        "accuracy": float(np.mean(truth == guess)),
        "macro_recall": float(np.mean(recalls)),
        "per_class": per_class,
    }


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, Any]:
    """Mean absolute error and root mean squared error.

    >>> regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    {'task': 'regression', 'n': 3, 'mae': 0.6666666666666666, 'rmse': 1.1547005383792515}
    """
    t, p = _paired(y_true, y_pred)
    try:
        error = p.astype(np.float64) - t.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"regression metrics need numbers: {exc}") from exc
    if not np.all(np.isfinite(error)):
        raise DataError("regression metrics need finite targets and predictions")
    return {
        "task": "regression",
        "n": int(t.size),
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
    }


TASKS: Mapping[str, Callable[[ArrayLike, ArrayLike], dict[str, Any]]] = {
    "classification": classification_metrics,
    "regression": regression_metrics,
}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float | np.floating) and math.isnan(value))


def performance_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, *, task: str
) -> dict[str, Any] | None:
    """The ``task``'s metrics over the pairs where neither value is missing; None if none are."""
    if task not in TASKS:
        raise ValueError(f"task {task!r} is not one of {', '.join(TASKS)}")
    t, p = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length: {t.shape} and {p.shape}")
    keep = np.array([not (_missing(a) or _missing(b)) for a, b in zip(t, p, strict=True)], bool)
    if not keep.any():
        return None
    return TASKS[task](t[keep].tolist(), p[keep].tolist())
