"""0/1 and boolean targets are classes, the task can be overridden, forgotten targets are named."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import ColumnKind
from redline.profiles.degradation import performance_drops
from redline.profiles.performance import performance_metrics
from redline.profiles.targets import is_binary

RNG = np.random.default_rng(11)
X = RNG.normal(size=2_000)
Y = (X + RNG.normal(0, 0.6, X.size) > 0).astype(int)  # accuracy of x > 0 is about 0.82


@pytest.mark.parametrize(
    ("values", "binary"),
    [
        (np.array([0, 1, 1, 0]), True),
        (np.array([0.0, 1.0, np.nan]), True),
        (np.array([True, False]), True),
        (np.array([1, 0, None], dtype=object), True),
        (np.array([0, 1, 2]), False),
        (np.array([0.0, 0.3, 1.0]), False),
        (np.array([True, 1], dtype=object), False),
        (np.array(["0", "1"], dtype=object), False),
        (np.array([], dtype=np.int64), False),
        (np.array([np.nan]), False),
    ],
)
def test_binary_columns(values: Any, binary: bool) -> None:
    assert is_binary(values) is binary


def _fit(**kwargs: Any) -> redline.Reference:
    data = {"x": X, "label": Y, "predicted": (X > 0).astype(int), "score": 1 / (1 + np.exp(-X))}
    data |= kwargs.pop("data", {})
    return redline.fit_reference(data, window_sizes=[200], **kwargs)


def test_a_0_1_integer_target_and_prediction_are_classes() -> None:
    ref = _fit(target="label", prediction="predicted")
    assert ref.columns["label"].kind is ColumnKind.CATEGORICAL
    assert ref.columns["predicted"].kind is ColumnKind.CATEGORICAL
    assert ref.performance is not None
    assert ref.performance["task"] == "classification"
    assert ref.performance["accuracy"] == pytest.approx(np.mean((X > 0) == Y))
    reason = ref.performance["task_reason"]
    assert reason.startswith("classification: target 'label' is categorical")
    assert "task='regression'" in reason


def test_a_collapse_of_a_0_1_model_is_a_drop() -> None:
    ref = _fit(target="label", prediction="predicted")
    assert ref.performance is not None
    rng = np.random.default_rng(12)
    truth = rng.integers(0, 2, 200)
    guessed = np.where(rng.random(200) < 0.5, truth, 1 - truth)  # accuracy about 0.5
    now = performance_metrics(truth, guessed, task=ref.performance["task"])
    assert now is not None
    assert "accuracy" in {d.statistic for d in performance_drops(ref.performance, now)}


def test_the_task_can_be_overridden() -> None:
    as_numbers = _fit(target="label", prediction="predicted", task="regression")
    assert as_numbers.columns["label"].kind is ColumnKind.NUMERIC
    assert as_numbers.performance is not None
    assert as_numbers.performance["task"] == "regression"
    assert as_numbers.performance["task_reason"] == "task 'regression' as given"
    digits = RNG.integers(0, 5, X.size)
    as_classes = _fit(
        data={"digit": digits, "guess": digits},
        target="digit",
        prediction="guess",
        task="classification",
    )
    assert as_classes.performance is not None
    assert as_classes.performance["task"] == "classification"
    assert set(as_classes.performance["per_class"]) == {"0", "1", "2", "3", "4"}
    with pytest.raises(ValueError, match="task must be one of"):
        _fit(target="label", prediction="predicted", task="ranking")


def test_declared_kinds_and_other_targets_keep_their_task() -> None:
    declared = _fit(target="label", prediction="predicted", kinds={"label": "numeric"})
    assert declared.performance is not None
    assert declared.performance["task"] == "regression"
    flags = _fit(data={"flag": Y.astype(bool), "hit": X > 0}, target="flag", prediction="hit")
    assert flags.performance is not None
    assert flags.performance["task"] == "classification"
    amounts = _fit(data={"amount": 3 * X, "guess": 3 * X + 1}, target="amount", prediction="guess")
    assert amounts.performance is not None
    assert amounts.performance["task"] == "regression"
    assert "target 'amount' is numeric" in amounts.performance["task_reason"]


def test_scores_against_a_0_1_target_are_not_read_as_classes() -> None:
    ref = _fit(target="label", prediction="score")
    assert ref.performance is not None
    assert ref.performance["task"] == "regression"
    assert "prediction 'score' holds scores" in ref.performance["task_reason"]


@pytest.mark.parametrize("name", ["label", "y", "Churn", "default", "fraud_label", "loan.target"])
def test_a_column_named_like_the_label_without_target_warns(name: str) -> None:
    with pytest.warns(UserWarning, match=rf"column '{name}' looks like the label.*target="):
        redline.fit_reference({"x": X, name: Y}, window_sizes=[200])


def test_a_label_name_warns_whatever_its_values_a_class_name_only_for_classes() -> None:
    with pytest.warns(UserWarning, match="column 'target'"):
        redline.fit_reference({"x": X, "target": 3 * X}, window_sizes=[200])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        redline.fit_reference({"x": X, "y": 3 * X, "class": X.round(1)}, window_sizes=[200])


def test_no_warning_with_a_target_or_for_ordinary_names() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        redline.fit_reference({"x": X, "y": Y}, target="y", window_sizes=[200])
        redline.fit_reference({"x": X, "labelled_at": X, "classes_seen": Y}, window_sizes=[200])
        _fit(target="label", prediction="predicted")
