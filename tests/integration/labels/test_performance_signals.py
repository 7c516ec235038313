"""Realized performance: late labels join, and a recall drop on a fraud model raises SEV2."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from labels_data import MODEL, T0, serve_window

from redline.domain import Level
from redline.guard.sinks import Feedback
from redline.profiles.reference import Reference
from redline.services.labels import (
    check_performance,
    performance_signals,
    realized_performance,
    record_labels_in,
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


def test_a_fraud_recall_drop_of_a_quarter_raises_performance_drop(
    session: Session, fraud_reference: Reference
) -> None:
    labels = serve_window(session, "w1", n_fraud=100, caught=60, n_legit=300)
    record_labels_in(session, model=MODEL, labels=labels)

    (signal,) = performance_signals(session, model=MODEL, reference=fraud_reference, now=DAYS_LATER)
    assert (signal.monitor, signal.kind, signal.column, signal.statistic) == (
        "performance",
        "performance_drop",
        "fraud",
        "recall",
    )
    assert signal.value == pytest.approx(0.6)
    assert signal.threshold == pytest.approx(0.8 * (1 - 0.2))
    assert signal.level is Level.ALARM
    assert (signal.window_start, signal.window_end) == (T0, T0 + timedelta(hours=1))
    assert signal.evidence["baseline"] == pytest.approx(0.8)
    assert signal.evidence["n_labelled"] == 400
    assert signal.evidence["per_class"]["fraud"]["baseline_recall"] == pytest.approx(0.8)
    (stored,) = list_signals(session, model=MODEL)
    assert (stored.window_id, stored.kind) == ("w1", "performance_drop")
    # Evaluated: nothing new until more labels arrive.
    assert (
        performance_signals(session, model=MODEL, reference=fraud_reference, now=DAYS_LATER) == []
    )


def test_an_accuracy_drop_is_measured_in_absolute_points(
    session: Session, fraud_reference: Reference
) -> None:
    labels = serve_window(session, "w1", n_fraud=150, caught=120, n_legit=50)
    record_labels_in(session, model=MODEL, labels=labels)
    signals = performance_signals(
        session, model=MODEL, reference=fraud_reference, now=DAYS_LATER, max_accuracy_drop=0.05
    )
    # Accuracy 170/200 = 0.85 < 0.962 - 0.05; fraud recall 0.80 held.
    assert [(s.statistic, s.column) for s in signals] == [("accuracy", None)]
    assert signals[0].threshold == pytest.approx(0.912)


def test_a_small_drop_raises_nothing(session: Session, fraud_reference: Reference) -> None:
    labels = serve_window(session, "w1", n_fraud=100, caught=70, n_legit=300)  # -12.5%
    record_labels_in(session, model=MODEL, labels=labels)
    assert performance_signals(session, model=MODEL, reference=fraud_reference, now=T0) == []


def test_too_few_labels_raise_nothing_until_enough_arrive(
    session: Session, fraud_reference: Reference
) -> None:
    labels = serve_window(session, "w1", n_fraud=20, caught=4, n_legit=130)  # recall 0.2
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
    (signal,) = performance_signals(session, model=MODEL, reference=fraud_reference, now=T0)
    assert signal.column == "fraud"


def test_check_performance_opens_a_sev2_incident(store: Store, fraud_reference: Reference) -> None:
    with store.session() as session:
        labels = serve_window(session, "w1", n_fraud=100, caught=50, n_legit=300)
    with store.session() as session:
        record_labels_in(session, model=MODEL, labels=labels)

    result = check_performance(store, model=MODEL, reference=fraud_reference, now=DAYS_LATER)
    assert [s.kind for s in result.signals] == ["performance_drop"]
    assert result.incident is not None
    with store.session() as session:
        (incident,) = list_incidents(session, model=MODEL)
        assert (incident.key, incident.severity, incident.category) == (
            result.incident,
            "SEV2",
            "performance",
        )
        assert incident.status == "declared"
        assert [s.kind for s in list_incident_signals(session, incident_id=incident.id)] == [
            "performance_drop"
        ]
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
