"""Containment action parameters: checked and normalised before anything is recorded."""

from __future__ import annotations

from typing import Any

import pytest

from redline.domain import ActionType
from redline.domain.action_params import ActionParamError, check_action_params
from redline.errors import RedlineError


@pytest.mark.parametrize(
    ("threshold", "expected"), [(0, 0.0), (1, 1.0), ("0.7", 0.7), (0.25, 0.25)]
)
def test_a_threshold_in_the_unit_interval_is_kept_as_a_float(
    threshold: Any, expected: float
) -> None:
    params = {"threshold": threshold, "review_mode": "queue"}
    checked = check_action_params(ActionType.THRESHOLD_CHANGE, params)
    assert checked == {"threshold": expected, "review_mode": "queue"}
    assert isinstance(checked["threshold"], float)


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        (1.7, "threshold must be between 0 and 1 (a minimum confidence), got 1.7"),
        (-0.01, "threshold must be between 0 and 1 (a minimum confidence), got -0.01"),
        ("high", "threshold must be a number, got 'high'"),
        (True, "threshold must be a number, got True"),
        (None, "threshold must be a number, got None"),
        (float("inf"), "threshold must be a finite number, got inf"),
        ([0.5], "threshold must be a number, got [0.5]"),
    ],
)
def test_a_bad_threshold_raises_a_redline_error_naming_it(threshold: Any, message: str) -> None:
    with pytest.raises(ActionParamError) as caught:
        check_action_params(ActionType.THRESHOLD_CHANGE, {"threshold": threshold})
    assert str(caught.value) == f"threshold_change: {message}"
    assert isinstance(caught.value, RedlineError)
    assert isinstance(caught.value, ValueError)


def test_a_required_parameter_must_be_there() -> None:
    with pytest.raises(ActionParamError, match="threshold_change needs the parameter 'threshold'"):
        check_action_params(ActionType.THRESHOLD_CHANGE, {})


def test_an_optional_number_is_checked_only_when_given() -> None:
    assert check_action_params(ActionType.OUTPUT_PATCH, None) == {}
    assert check_action_params(ActionType.OUTPUT_PATCH, {"score_offset": "-2"}) == {
        "score_offset": -2.0
    }
    with pytest.raises(ActionParamError, match="score_offset must be a finite number"):
        check_action_params(ActionType.OUTPUT_PATCH, {"score_offset": float("nan")})


def test_actions_without_rules_pass_their_params_unchanged() -> None:
    params = {"version": "v2", "anything": [1, 2]}
    assert check_action_params(ActionType.ROLLBACK, params) == params
