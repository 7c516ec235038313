"""Realized-performance metrics against scikit-learn as the oracle, and the fitted baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    mean_absolute_error,
    precision_recall_fscore_support,
    recall_score,
    root_mean_squared_error,
)

import redline
from redline.errors import DataError
from redline.profiles.performance import (
    class_key,
    classification_metrics,
    performance_metrics,
    regression_metrics,
)
from redline.profiles.reference import Reference, load_reference

LABELS = st.sampled_from(["fraud", "legit", "review"])
PAIRS = st.lists(st.tuples(LABELS, LABELS), min_size=1, max_size=200)


def _none_for_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _check_against_sklearn(y_true: list[Any], y_pred: list[Any]) -> None:
    metrics = classification_metrics(y_true, y_pred)
    keys_true, keys_pred = [class_key(v) for v in y_true], [class_key(v) for v in y_pred]
    labels = sorted(set(keys_true) | set(keys_pred))
    precision, recall, _, support = precision_recall_fscore_support(
        keys_true, keys_pred, labels=labels, zero_division=np.nan
    )
    assert list(metrics["per_class"]) == labels
    for i, label in enumerate(labels):
        got = metrics["per_class"][label]
        assert got["support"] == support[i]
        assert got["precision"] == pytest.approx(_none_for_nan(precision[i]))
        assert got["recall"] == pytest.approx(_none_for_nan(recall[i]))
    assert metrics["n"] == len(y_true)
    assert metrics["accuracy"] == pytest.approx(accuracy_score(keys_true, keys_pred))
    macro = recall_score(keys_true, keys_pred, average="macro", zero_division=np.nan)
    assert metrics["macro_recall"] == pytest.approx(macro)


@settings(max_examples=200, deadline=None)
@given(PAIRS)
def test_classification_matches_sklearn(pairs: list[tuple[str, str]]) -> None:
    y_true, y_pred = map(list, zip(*pairs, strict=True))
    _check_against_sklearn(y_true, y_pred)


@pytest.mark.parametrize("seed", range(5))
def test_classification_matches_sklearn_on_integer_and_boolean_labels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, 500)
    y_pred = np.where(rng.random(500) < 0.7, y_true, rng.integers(0, 5, 500))  # class 4: never true
    _check_against_sklearn(y_true.tolist(), y_pred.tolist())
    metrics = classification_metrics(y_true, y_pred.astype(float))  # 1.0 is the class "1"
    assert set(metrics["per_class"]) <= {"0", "1", "2", "3", "4"}
    flags = rng.random(300) < 0.2
    _check_against_sklearn(flags.tolist(), (flags ^ (rng.random(300) < 0.1)).tolist())


def test_undefined_ratios_are_none_not_zero() -> None:
    metrics = classification_metrics(["a", "a"], ["a", "b"])
    assert metrics["per_class"]["b"] == {"precision": 0.0, "recall": None, "support": 0}
    assert classification_metrics(["a", "b"], ["a", "a"])["per_class"]["b"]["precision"] is None
    json.dumps(metrics, allow_nan=False)


@pytest.mark.parametrize("seed", range(5))
def test_regression_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.normal(50, 10, 400)
    y_pred = y_true + rng.standard_t(3, 400)
    metrics = regression_metrics(y_true, y_pred)
    assert metrics["n"] == 400
    assert metrics["mae"] == pytest.approx(mean_absolute_error(y_true, y_pred))
    assert metrics["rmse"] == pytest.approx(root_mean_squared_error(y_true, y_pred))


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(DataError, match="no labelled predictions"):
        classification_metrics([], [])
    with pytest.raises(ValueError, match="equally long"):
        classification_metrics(["a"], ["a", "b"])
    with pytest.raises(DataError, match="finite"):
        regression_metrics([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(DataError, match="need numbers"):
        regression_metrics(["a"], ["b"])
    with pytest.raises(ValueError, match="task 'ranking'"):
        performance_metrics([1], [1], task="ranking")


def test_missing_pairs_are_left_out() -> None:
    metrics = performance_metrics(
        ["a", None, "b", "a"], ["a", "b", float("nan"), "b"], task="classification"
    )
    assert metrics is not None
    assert (metrics["n"], metrics["accuracy"]) == (2, 0.5)
    assert performance_metrics([None], [1.0], task="regression") is None


def test_fit_reference_keeps_the_baseline_by_the_target_kind() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=1_000)
    classes = np.where(x > 0, "fraud", "legit")
    guessed = np.where(x + rng.normal(0, 0.5, 1_000) > 0, "fraud", "legit")
    ref = redline.fit_reference(
        {"x": x, "y": classes, "p": guessed}, target="y", prediction="p", window_sizes=[100]
    )
    assert ref.performance is not None
    assert ref.performance == {
        **classification_metrics(classes, guessed),
        "task_reason": ref.performance["task_reason"],
    }
    assert ref.performance["task_reason"].startswith("classification: target 'y' is categorical")
    numeric = redline.fit_reference(
        {"x": x, "y": 2 * x, "p": 2 * x + 0.1}, target="y", prediction="p", window_sizes=[100]
    )
    assert numeric.performance is not None
    assert (numeric.performance["task"], numeric.performance["mae"]) == (
        "regression",
        pytest.approx(0.1),
    )
    as_classes = redline.fit_reference(
        {"x": x, "y": (x > 0).astype(int), "p": (x > 0.1).astype(int)},
        target="y",
        prediction="p",
        kinds={"y": "categorical"},
        window_sizes=[100],
    )
    assert as_classes.performance is not None
    assert as_classes.performance["task"] == "classification"
    assert (
        redline.fit_reference({"x": x, "y": classes}, target="y", window_sizes=[100]).performance
        is None
    )
    assert (
        redline.fit_reference(
            {"x": x, "p": guessed}, prediction="p", window_sizes=[100]
        ).performance
        is None
    )


def test_references_without_a_baseline_keep_their_hash_and_old_files_load(tmp_path: Path) -> None:
    x = np.random.default_rng(4).normal(size=500)
    ref = redline.fit_reference(
        {"x": x, "y": x > 0, "p": x > 0.2}, target="y", prediction="p", window_sizes=[100]
    )
    assert ref.performance is not None
    assert ref.performance["per_class"]["True"]["recall"] < 1.0
    loaded = load_reference(ref.save(tmp_path / "with.json"))
    assert loaded.performance == ref.performance
    assert loaded.content_hash == ref.content_hash

    plain = Reference(**{**vars(ref), "performance": None})
    assert "performance" not in plain.to_dict()  # so references fitted before keep their hash
    old = load_reference(plain.save(tmp_path / "old.json"))
    assert old.performance is None
    assert old.content_hash == plain.content_hash
