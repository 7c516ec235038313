"""Likely-cause classification: each class on a synthetic case, and the rules as data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from synthetic import ATTACKER, reference, window

from redline.domain import Level, Signal
from redline.forensics.cause import CAUSE_RULES, Cause, CauseRule, Condition, classify_cause
from redline.forensics.report import build_triage_report


def signal(kind: str, column: str | None = None, **evidence: Any) -> Signal:
    return Signal("test", kind, column, kind, 1.0, 0.5, Level.ALARM, evidence=evidence)


@pytest.fixture(scope="module")
def ref():  # type: ignore[no-untyped-def]
    return reference()


def _report(ref, *, signals=(), **kwargs):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(42)
    earlier = [window(ref, rng, i) for i in range(4)]
    current = window(ref, rng, 4, **kwargs)
    return build_triage_report(reference=ref, window=current, earlier=earlier, signals=signals)


def test_covariate_drift(ref) -> None:  # type: ignore[no-untyped-def]
    report = _report(ref, shifts={"x1": 1.0}, signals=[signal("feature_drift", "x1")])
    assert report.verdict.cause is Cause.COVARIATE_DRIFT
    assert report.verdict.confidence >= 0.6
    assert report.sections["input_isolation"]["features"][0]["feature"] == "x1"


def test_adversarial_traffic_names_the_source(ref) -> None:  # type: ignore[no-untyped-def]
    report = _report(ref, attack=300, signals=[signal("feature_drift", "x2")])
    assert report.verdict.cause is Cause.ADVERSARIAL_OR_OOD_TRAFFIC
    assert report.sections["input_isolation"]["sources"][0]["name"] == ATTACKER
    ood = report.sections["statistical_forensics"]["out_of_distribution"]
    assert ood["feature"] == "x2"
    assert ood["excess_rate"] == pytest.approx(0.3, abs=0.02)


def test_pipeline_bug_from_the_mapping_error_signature(ref) -> None:  # type: ignore[no-untyped-def]
    mapping = signal("mapping_error", "region", likely="mapping error")
    report = _report(ref, signals=[mapping, signal("feature_drift", "region")])
    assert report.verdict.cause is Cause.PIPELINE_BUG
    assert report.verdict.rule == "mapping_error_signature"
    assert report.sections["pipeline_checks"]["by_kind"] == {"mapping_error": ["region"]}


def test_bad_release_from_failing_canaries(ref) -> None:  # type: ignore[no-untyped-def]
    report = _report(ref, signals=[signal("canary_failure")])
    assert report.verdict.cause is Cause.BAD_RELEASE
    assert report.verdict.rule == "golden_inputs_answered_wrong"
    assert report.facts["canary_failures"] == 1


def test_concept_drift_from_labels_without_input_drift(ref) -> None:  # type: ignore[no-untyped-def]
    report = _report(ref, signals=[signal("performance_drop")])
    assert report.verdict.cause is Cause.CONCEPT_DRIFT
    assert report.facts["input_drift"] < 0.02


def test_infrastructure_from_latency_without_data_shift(ref) -> None:  # type: ignore[no-untyped-def]
    report = _report(ref, signals=[signal("latency")])
    assert report.verdict.cause is Cause.INFRASTRUCTURE


def test_nothing_to_go_on_is_undetermined(ref) -> None:  # type: ignore[no-untyped-def]
    verdict = _report(ref).verdict
    assert (verdict.cause, verdict.confidence, verdict.rule) == (Cause.UNDETERMINED, 0.0, None)


def test_report_is_json_ready(ref) -> None:  # type: ignore[no-untyped-def]
    import json

    body = _report(ref, attack=200).to_dict()
    assert json.loads(json.dumps(body)) == body
    assert body["likely_cause"]["cause"] == "adversarial_or_ood_traffic"


def test_confidence_drops_when_a_rival_cause_is_close() -> None:
    alone = classify_cause({"input_drift": 0.1})
    contested = classify_cause({"input_drift": 0.1, "performance_drops": 1})
    assert alone.cause is contested.cause is Cause.COVARIATE_DRIFT
    assert contested.confidence < alone.confidence <= 0.8


def test_rules_are_data() -> None:
    rules = (CauseRule("only", Cause.INFRASTRUCTURE, 0.5, (Condition("x", ">=", 1, 1, True),)),)
    assert classify_cause({"x": 2}, rules).confidence == 0.5
    assert classify_cause({"x": 0}, rules).cause is Cause.UNDETERMINED
    causes = {rule.cause for rule in CAUSE_RULES}
    assert causes == set(Cause) - {Cause.UNDETERMINED}
    assert all(0 < rule.ceiling < 1 for rule in CAUSE_RULES)
