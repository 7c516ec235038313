"""Realized performance: late labels join, a recall drop on a fraud model raises SEV2, and only
what the primary model served is scored."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from labels_data import MODEL, T0, add_hour_window, serve_window

import redline
from redline.domain import Level
from redline.guard.sinks import Feedback
from redline.profiles.proportions import critical_count, drop_p_value
from redline.profiles.reference import Reference
from redline.services.labels import (
    ServedPrediction,
    check_performance,
    performance_signals,
    realized_performance,
    record_labels_in,
    record_served_in,
)
from redline.store import (
    Session,
    Store,
    list_incident_signals,
    list_incidents,
    list_signals,
    list_unscored_labels,
)

DAYS_LATER = T0 + timedelta(days=6)
#: Accuracy and the recalls of fraud and legit share the false-alarm budget of 1e-3.
ALPHA = 1e-3 / 3


def test_the_reference_keeps_the_baseline(fraud_reference: Reference) -> None:
    baseline = fraud_reference.performance
    assert baseline is not None
    assert baseline["task"] == "classification"
    assert baseline["per_class"]["fraud"]["recall"] == pytest.approx(0.80)
    assert baseline["accuracy"] == pytest.approx(0.962)


def test_labels_arriving_days_later_are_scored_with_their_window(session: Session) -> None:
    labels = serve_window(session, "w1", n_fraud=10, caught=6, n_legit=40, labelled_at=DAYS_LATER)
    assert realized_performance(session, model=MODEL, window_id="w1", min_labels=1) is None
    record_labels_in(session, model=MODEL, labels=labels)
    metrics = realized_performance(session, model=MODEL, window_id="w1", min_labels=50)
    assert metrics is not None
    assert metrics["n"] == 50
    assert metrics["per_class"]["fraud"]["recall"] == pytest.approx(0.6)
    assert metrics["accuracy"] == pytest.approx(46 / 50)
    assert realized_performance(session, model=MODEL, window_id="w1", min_labels=51) is None


def _by_metric(signals: list[Any]) -> dict[tuple[str, str | None], Any]:
    return {(s.statistic, s.column): s for s in signals}


def test_a_fraud_recall_drop_of_a_quarter_raises_performance_drop(
    session: Session, fraud_reference: Reference
) -> None:
    labels = serve_window(session, "w1", n_fraud=100, caught=60, n_legit=300)
    record_labels_in(session, model=MODEL, labels=labels)

    signals = performance_signals(session, model=MODEL, reference=fraud_reference, now=DAYS_LATER)
    # Recall 0.6 against 0.8 on 200 baseline frauds: p = 2.3e-4; accuracy 0.9 against 0.962.
    assert set(_by_metric(signals)) == {("recall", "fraud"), ("accuracy", None)}
    signal = _by_metric(signals)[("recall", "fraud")]
    assert (signal.monitor, signal.kind) == ("performance", "performance_drop")
    assert signal.value == pytest.approx(0.6)
    # Fires below (critical count + 1) / n, here under the 0.8 - 0.1 floor.
    assert signal.threshold == pytest.approx((critical_count(100, 160, 200, ALPHA) + 1) / 100)
    # p = 2.3e-4 in one window is a warning: an alarm needs the window before to show it too.
    assert signal.level is Level.WARNING
    assert (signal.evidence["confirmed"], signal.evidence["pooled_n"]) == (False, 0)
    assert (signal.window_start, signal.window_end) == (T0, T0 + timedelta(hours=1))
    assert signal.evidence["baseline"] == pytest.approx(0.8)
    assert (signal.evidence["n"], signal.evidence["n_baseline"]) == (100, 200)
    assert signal.evidence["p_value"] == pytest.approx(2.32e-4, rel=1e-2)
    low, high = signal.evidence["interval_95"]
    assert low < 0.6 < high < 0.8
    assert signal.evidence["n_labelled"] == 400
    assert signal.evidence["per_class"]["fraud"]["baseline_recall"] == pytest.approx(0.8)
    assert {s.window_id for s in list_signals(session, model=MODEL)} == {"w1"}
    # Evaluated: nothing new until more labels arrive.
    assert (
        performance_signals(session, model=MODEL, reference=fraud_reference, now=DAYS_LATER) == []
    )


def test_a_drop_the_window_before_also_shows_is_an_alarm(
    session: Session, fraud_reference: Reference
) -> None:
    later = T0 + timedelta(hours=1)
    labels = serve_window(session, "w1", n_fraud=100, caught=58, n_legit=300)
    labels += serve_window(session, "w2", n_fraud=100, caught=60, n_legit=300, start=later)
    record_labels_in(session, model=MODEL, labels=labels)

    signals = performance_signals(session, model=MODEL, reference=fraud_reference, now=DAYS_LATER)
    by_window = {(s.window_start, s.column): s for s in signals}
    assert by_window[(T0, "fraud")].level is Level.WARNING  # nothing before it
    second = by_window[(later, "fraud")]
    assert second.level is Level.ALARM
    assert second.evidence["confirmed"] is True
    assert second.evidence["pooled_n"] == 200
    assert second.evidence["pooled_current"] == pytest.approx(0.59)
    assert second.evidence["pooled_p_value"] == pytest.approx(drop_p_value(118, 200, 160, 200))


def test_a_clean_window_before_keeps_a_moderate_drop_a_warning(
    session: Session, fraud_reference: Reference
) -> None:
    later = T0 + timedelta(hours=1)
    labels = serve_window(session, "w1", n_fraud=100, caught=80, n_legit=300)
    labels += serve_window(session, "w2", n_fraud=100, caught=60, n_legit=300, start=later)
    record_labels_in(session, model=MODEL, labels=labels)
    signals = performance_signals(session, model=MODEL, reference=fraud_reference, now=DAYS_LATER)
    assert {(s.window_start, s.column, s.level) for s in signals} >= {
        (later, "fraud", Level.WARNING)
    }
    assert all(s.level is Level.WARNING for s in signals)


def test_an_accuracy_drop_is_measured_in_absolute_points(
    session: Session, fraud_reference: Reference
) -> None:
    labels = serve_window(session, "w1", n_fraud=150, caught=120, n_legit=50)
    record_labels_in(session, model=MODEL, labels=labels)
    signals = performance_signals(
        session, model=MODEL, reference=fraud_reference, now=DAYS_LATER, min_accuracy_drop=0.05
    )
    # Accuracy 170/200 = 0.85 < 0.962 - 0.05 (p = 4e-9); fraud recall 0.80 held.
    assert [(s.statistic, s.column) for s in signals] == [("accuracy", None)]
    significant = (critical_count(200, 1_924, 2_000, ALPHA) + 1) / 200
    assert signals[0].threshold == pytest.approx(min(significant, 0.912))


def test_a_small_drop_raises_nothing(session: Session, fraud_reference: Reference) -> None:
    # Recall -12.5% (p = 0.04), accuracy 0.925: below the 0.05 floor.
    labels = serve_window(session, "w1", n_fraud=100, caught=70, n_legit=300)
    record_labels_in(session, model=MODEL, labels=labels)
    assert performance_signals(session, model=MODEL, reference=fraud_reference, now=T0) == []


def test_too_few_labels_raise_nothing_until_enough_arrive(
    session: Session, fraud_reference: Reference
) -> None:
    # Recall 0.2 of 20 frauds; accuracy 134/150 (p = 4.3e-4, not below 1e-3 / 3).
    labels = serve_window(session, "w1", n_fraud=20, caught=4, n_legit=130)
    record_labels_in(session, model=MODEL, labels=labels[:45])
    assert performance_signals(session, model=MODEL, reference=fraud_reference, now=T0) == []
    record_labels_in(session, model=MODEL, labels=labels[45:])  # days later: 150 labels
    (signal,) = performance_signals(session, model=MODEL, reference=fraud_reference, now=DAYS_LATER)
    assert (signal.column, signal.value) == ("fraud", pytest.approx(0.2))


def test_a_class_with_too_few_labels_in_the_window_is_not_judged(
    session: Session, fraud_reference: Reference
) -> None:
    labels = serve_window(session, "w1", n_fraud=5, caught=0, n_legit=100)
    record_labels_in(session, model=MODEL, labels=labels)
    assert performance_signals(session, model=MODEL, reference=fraud_reference, now=T0) == []
    assert list_signals(session, model=MODEL) == []


def test_without_a_baseline_nothing_is_evaluated(
    session: Session, fraud_reference: Reference
) -> None:
    labels = serve_window(session, "w1", n_fraud=100, caught=50, n_legit=300)
    record_labels_in(session, model=MODEL, labels=labels)
    no_baseline = replace(fraud_reference, performance=None)
    assert performance_signals(session, model=MODEL, reference=no_baseline, now=T0) == []
    signals = performance_signals(session, model=MODEL, reference=fraud_reference, now=T0)
    assert ("recall", "fraud") in _by_metric(signals)


def test_check_performance_opens_a_sev2_incident(store: Store, fraud_reference: Reference) -> None:
    with store.session() as session:
        labels = serve_window(session, "w1", n_fraud=100, caught=50, n_legit=300)
    with store.session() as session:
        record_labels_in(session, model=MODEL, labels=labels)

    result = check_performance(store, model=MODEL, reference=fraud_reference, now=DAYS_LATER)
    assert {s.kind for s in result.signals} == {"performance_drop"}
    assert set(_by_metric(result.signals)) == {("recall", "fraud"), ("accuracy", None)}
    assert result.incident is not None
    with store.session() as session:
        (incident,) = list_incidents(session, model=MODEL)
        assert (incident.key, incident.severity, incident.category) == (
            result.incident,
            "SEV2",
            "performance",
        )
        assert incident.status == "declared"
        linked = list_incident_signals(session, incident_id=incident.id)
        assert {s.kind for s in linked} == {"performance_drop"}
    again = check_performance(store, model=MODEL, reference=fraud_reference, now=DAYS_LATER)
    assert (again.signals, again.incident) == ([], None)


def test_labels_wait_a_day_for_their_prediction(
    session: Session, fraud_reference: Reference
) -> None:
    early = [Feedback("not-yet-served", "fraud", T0)]
    record_labels_in(session, model=MODEL, labels=early)
    performance_signals(
        session, model=MODEL, reference=fraud_reference, now=T0 + timedelta(hours=23)
    )
    assert [u.request_id for u in list_unscored_labels(session, model=MODEL)] == ["not-yet-served"]
    performance_signals(
        session, model=MODEL, reference=fraud_reference, now=T0 + timedelta(hours=25)
    )
    assert list_unscored_labels(session, model=MODEL) == []


@pytest.mark.parametrize("route", ["fallback", "review", "block"])
def test_only_rows_the_primary_model_served_are_scored(
    session: Session, fraud_reference: Reference, route: str
) -> None:
    labels = serve_window(session, "w1", n_fraud=100, caught=80, n_legit=300)
    # The same window also answered 300 frauds another way, all as legit: not the primary's.
    other = [
        ServedPrediction(f"o-{i}", "legit", route, T0 + timedelta(seconds=i)) for i in range(300)
    ]
    record_served_in(session, model=MODEL, window_id="w1", served=other)
    labels += [Feedback(f"o-{i}", "fraud", T0 + timedelta(hours=1)) for i in range(300)]
    record_labels_in(session, model=MODEL, labels=labels)

    metrics = realized_performance(session, model=MODEL, window_id="w1")
    assert metrics is not None
    assert (metrics["n"], metrics["per_class"]["fraud"]["recall"]) == (400, pytest.approx(0.8))
    assert performance_signals(session, model=MODEL, reference=fraud_reference, now=T0) == []


def test_a_regression_error_rise_raises_performance_drop(session: Session) -> None:
    rng = np.random.default_rng(6)
    spend = rng.lognormal(3, 1, 4_000)
    reference = redline.fit_reference(
        {"spend": spend, "forecast": spend + rng.normal(0, 2, spend.size)},
        target="spend",
        prediction="forecast",
        window_sizes=[100],
    )
    assert reference.performance is not None
    assert reference.performance["task"] == "regression"
    add_hour_window(session, "w1")
    truth = rng.lognormal(3, 1, 200)
    served = [
        ServedPrediction(f"r-{i}", float(v + rng.normal(0, 4)), "primary", T0)
        for i, v in enumerate(truth)
    ]
    record_served_in(session, model=MODEL, window_id="w1", served=served)
    labels = [Feedback(f"r-{i}", float(v), T0 + timedelta(hours=2)) for i, v in enumerate(truth)]
    record_labels_in(session, model=MODEL, labels=labels)

    (signal,) = performance_signals(session, model=MODEL, reference=reference, now=DAYS_LATER)
    assert (signal.statistic, signal.column, signal.n_rows) == ("mae", None, 200)
    assert signal.value > signal.threshold >= 1.2 * reference.performance["mae"]
    assert signal.evidence["per_class"] == {}
