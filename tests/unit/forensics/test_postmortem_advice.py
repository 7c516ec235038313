"""Retrain versus patch: the cause from the signal kinds when no triage report names one, and
pipeline bugs sent to the pipeline rather than to retraining."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from redline.forensics.postmortem_advice import infer_cause, recommend
from redline.forensics.postmortem_facts import IncidentRecord
from redline.store import IncidentRow

AT = datetime(2026, 6, 1, tzinfo=UTC)


def record(*kinds: str, triage: dict[str, Any] | None = None, labels: int = 0) -> IncidentRecord:
    row = IncidentRow(key="RL-2026-0001", model="m", severity="SEV2", status="resolved")
    signals = [{"kind": k, "column": "amount"} for k in kinds]
    return IncidentRecord(
        row, signals, [], [], True, [], triage, [], [], AT, AT, 0, 0, labelled_rows=labels
    )


@pytest.mark.parametrize(
    ("kinds", "cause"),
    [
        (("feature_drift", "out_of_range"), "pipeline_bug"),
        (("null_jump",), "pipeline_bug"),
        (("type_violation",), "pipeline_bug"),
        (("missing_column", "latency"), "pipeline_bug"),
        (("feature_drift", "unseen_categories"), "covariate_drift"),
        (("latency",), "infrastructure"),
        ((), "undetermined"),
    ],
)
def test_the_cause_from_signal_kinds(kinds: tuple[str, ...], cause: str) -> None:
    assert infer_cause(record(*kinds))[0] == cause


def test_a_pipeline_bug_is_fixed_upstream_not_retrained_even_with_labels() -> None:
    advice = recommend(record("out_of_range", triage={"likely_cause": "pipeline_bug"}, labels=500))
    assert advice.decision == "fix the pipeline"
    assert "out_of_range in amount" in advice.reasons[0]
    assert advice.cause_source == "triage report"


def test_drift_without_labels_still_waits_for_them() -> None:
    advice = recommend(record("feature_drift", triage={"likely_cause": "covariate_drift"}))
    assert advice.decision == "collect labels, then retrain"
