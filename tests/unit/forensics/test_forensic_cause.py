"""Likely-cause classification: each class on a synthetic case, and the rules as data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from synthetic import ATTACKER, T0, reference, rows, window

import redline
from redline.domain import Level, Signal
from redline.forensics.cause import CAUSE_RULES, Cause, CauseRule, Condition, classify_cause
from redline.forensics.checks import unit_changes
from redline.forensics.report import build_triage_report
from redline.profiles.window import WindowProfile


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
    alone = classify_cause({"drift_signals": 1, "input_drift": 0.1})
    contested = classify_cause({"drift_signals": 1, "input_drift": 0.1, "performance_drops": 1})
    assert alone.cause is contested.cause is Cause.COVARIATE_DRIFT
    assert contested.confidence < alone.confidence <= 0.8


def test_rules_are_data() -> None:
    rules = (CauseRule("only", Cause.INFRASTRUCTURE, 0.5, (Condition("x", ">=", 1, 1, True),)),)
    assert classify_cause({"x": 2}, rules).confidence == 0.5
    assert classify_cause({"x": 0}, rules).cause is Cause.UNDETERMINED
    causes = {rule.cause for rule in CAUSE_RULES}
    assert causes == set(Cause) - {Cause.UNDETERMINED}
    assert all(0 < rule.ceiling < 1 for rule in CAUSE_RULES)


def _scaled(ref, factor: float, *, shift: float = 0.0, n: int = 1_000):  # type: ignore[no-untyped-def]
    """A window whose x1 arrives multiplied by ``factor`` (a unit change upstream)."""
    rng = np.random.default_rng(5)
    data = rows(rng, n, {"x1": shift})
    data["x1"] = data["x1"] * factor
    w = WindowProfile.empty(ref, start=T0, end=T0)
    return w.fold(ref, data, sources=["10.0.0.0/24"] * n, sample_seed=0)


@pytest.mark.parametrize(
    ("factor", "shift", "found"),
    [(100.0, 0.0, True), (0.01, 0.0, True), (3.5, 0.0, True), (1.0, 1.0, False),
     (1.4, 0.0, False), (2.5, 0.0, False), (100.0, 0.5, False)],
)  # fmt: skip
def test_unit_change_signature(ref, factor: float, shift: float, found: bool) -> None:  # type: ignore[no-untyped-def]
    hits = unit_changes(ref, _scaled(ref, factor, shift=shift))
    assert [h["column"] for h in hits] == (["x1"] if found else [])
    if found:
        assert hits[0]["factor"] == pytest.approx(factor, rel=0.1)


def test_unit_change_falls_back_on_earlier_windows_without_a_reference(ref) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    earlier = [window(ref, rng, i) for i in range(3)]
    assert [h["column"] for h in unit_changes(None, _scaled(ref, 100.0), earlier)] == ["x1"]
    assert unit_changes(None, _scaled(ref, 100.0)) == []


def test_a_unit_change_is_a_pipeline_bug_not_drift(ref) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(42)
    earlier = [window(ref, rng, i) for i in range(4)]
    oor = Signal("integrity", "out_of_range", "x1", "out_of_range_share", 0.95, 0.05, Level.WARNING)
    signals = [signal("feature_drift", "x1"), oor]
    report = build_triage_report(
        reference=ref, window=_scaled(ref, 100.0), earlier=earlier, signals=signals
    )
    assert report.verdict.cause is Cause.PIPELINE_BUG
    assert report.verdict.rule == "unit_change_signature"
    assert report.facts["pipeline_breaches"] == 2  # the out-of-range signal and the unit change
    assert report.sections["pipeline_checks"]["unit_changes"][0]["column"] == "x1"


@pytest.mark.parametrize(
    ("facts", "cause"),
    [
        ({"out_of_range_share": 0.95, "pipeline_breaches": 1, "drift_signals": 1}, Cause.PIPELINE_BUG),
        ({"out_of_range_share": 0.06, "pipeline_breaches": 1, "drift_signals": 2,
          "input_drift": 0.3}, Cause.COVARIATE_DRIFT),
        ({"integrity_breaches": 1, "pipeline_breaches": 1, "drift_signals": 1,
          "input_drift": 0.3}, Cause.PIPELINE_BUG),
        ({"integrity_breaches": 1, "pipeline_breaches": 1, "schema_breaches": 1}, Cause.PIPELINE_BUG),
        ({"input_drift": 0.05, "infrastructure_signals": 1}, Cause.INFRASTRUCTURE),
        ({"input_drift": 0.05}, Cause.UNDETERMINED),  # a raw distance alone is noise
        ({"drift_signals": 1, "input_drift": 0.0}, Cause.COVARIATE_DRIFT),
    ],
)  # fmt: skip
def test_the_cause_follows_stored_verdicts_not_raw_distances(
    facts: dict[str, float], cause: Cause
) -> None:
    assert classify_cause(facts).cause is cause


def test_a_latency_only_incident_on_a_noisy_window_is_infrastructure(ref) -> None:  # type: ignore[no-untyped-def]
    report = _report(ref, shifts={"x1": 0.3, "x3": 0.3}, signals=[signal("latency")])
    assert report.facts["input_drift"] >= 0.02  # what the old rule took for drift
    assert report.verdict.cause is Cause.INFRASTRUCTURE


def test_a_stretched_tail_is_not_a_unit_change() -> None:
    # Departure delays: a summer triples the spread and the mean, but the earliest departures
    # stay where they were; the same column arriving in seconds instead of minutes is a rescale.
    rng = np.random.default_rng(11)
    usual = rng.exponential(30.0, 20_000) - 25.0
    ref = redline.fit_reference({"delay": usual}, window_sizes=[1_000])
    summer = (rng.exponential(110.0, 1_000) - 88.0).clip(min=-25.0)
    seconds = (rng.exponential(30.0, 1_000) - 25.0) * 60.0

    def found(values: np.ndarray) -> list[str]:  # type: ignore[type-arg]
        w = WindowProfile.empty(ref, start=T0, end=T0).fold(ref, {"delay": values})
        return [h["column"] for h in unit_changes(ref, w)]

    assert found(summer) == []
    assert found(seconds) == ["delay"]


@pytest.mark.parametrize(
    ("drift_signals", "out_of_range_share", "integrity_breaches", "cause"),
    [
        (15, 0.74, 0, Cause.COVARIATE_DRIFT),  # a season: many columns, the month out of range
        (1, 0.95, 0, Cause.PIPELINE_BUG),  # one column's values far outside: a broken feed
        (15, 0.74, 2, Cause.PIPELINE_BUG),  # nulls and type violations beside it
    ],
)
def test_out_of_range_is_a_pipeline_bug_only_when_it_is_narrow(
    drift_signals: int, out_of_range_share: float, integrity_breaches: int, cause: Cause
) -> None:
    facts = {
        "drift_signals": drift_signals,
        "input_drift": 1.0,
        "out_of_range_share": out_of_range_share,
        "pipeline_breaches": 1 + integrity_breaches,
        "integrity_breaches": integrity_breaches,
        "top_source_shrinkage": 0.02,
    }
    assert classify_cause(facts).cause is cause
