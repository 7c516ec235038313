"""Grouping and triage follow the evidence on a real store: unrelated kinds open incidents of
their own, a latency incident is never called drift, a unit change is a pipeline bug whose
post-mortem says to fix the pipeline, and the report is refreshed on every window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import Level, Signal
from redline.forensics.postmortem_advice import recommend
from redline.forensics.postmortem_facts import collect_incident
from redline.guard.sinks import ClosedWindow
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.catalog import save_reference
from redline.services.ingest import record_window
from redline.services.response import ResponsePlan
from redline.store import (
    IncidentRow,
    Store,
    list_actions,
    list_incident_signals,
    list_incidents,
    list_timeline,
    list_triage_reports,
)

MODEL = "loans"
FEATURES = [f"f{i:02d}" for i in range(16)]
START = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(17)
    data = {name: rng.normal(50.0, 10.0, 20_000) for name in FEATURES}
    return redline.fit_reference(data, window_sizes=[500, 2_000])


@pytest.fixture
def store(migrated_url: str, reference: Reference) -> Iterator[Store]:
    opened = Store.from_url(migrated_url)
    save_reference(opened, model=MODEL, body=reference.to_dict(), actor="person:test")
    yield opened
    opened.dispose()


def _signal(kind: str, column: str | None, value: float, index: int, **extra: Any) -> Signal:
    begin = START + timedelta(minutes=index)
    return Signal(
        monitor=extra.pop("monitor", kind),
        kind=kind,
        column=column,
        statistic=extra.pop("statistic", kind),
        value=value,
        threshold=extra.pop("threshold", 0.1),
        level=extra.pop("level", Level.ALARM),
        window_start=begin,
        window_end=begin + timedelta(seconds=59),
        model=MODEL,
    )


def _window(
    store: Store,
    reference: Reference,
    index: int,
    *signals: Signal,
    scale: dict[str, float] | None = None,
    shift: dict[str, float] | None = None,
) -> None:
    """Window ``index`` (a minute each) of 1,000 rows, features scaled or shifted, responded to."""
    rng = np.random.default_rng(100 + index)
    data = {name: rng.normal(50.0, 10.0, 1_000) for name in FEATURES}
    for name, factor in (scale or {}).items():
        data[name] = data[name] * factor
    for name, sd in (shift or {}).items():
        data[name] = data[name] + 10.0 * sd
    begin = START + timedelta(minutes=index)
    window = WindowProfile.of(
        reference, data, start=begin, end=begin + timedelta(seconds=59), window_id=f"w{index:03d}"
    )
    assert record_window(
        store, ClosedWindow(MODEL, window, signals=list(signals)), plan=ResponsePlan()
    )


def _incidents(store: Store) -> list[tuple[IncidentRow, list[str], list[str]]]:
    """Each incident, oldest first, with its signal kinds and its reports' causes."""
    with store.session() as session:
        rows = sorted(list_incidents(session, model=MODEL), key=lambda r: r.id)
        return [
            (
                row,
                sorted({s.kind for s in list_incident_signals(session, incident_id=row.id)}),
                [r.likely_cause for r in list_triage_reports(session, incident_id=row.id)],
            )
            for row in rows
        ]


def test_drift_and_a_performance_drop_do_not_join_a_latency_incident(
    store: Store, reference: Reference
) -> None:
    for index in range(3):
        _window(store, reference, index)
    _window(store, reference, 3, _signal("latency", None, 80.0, 3, level=Level.CRITICAL))
    _window(store, reference, 4, _signal("feature_drift", "f03", 0.4, 4), shift={"f03": 1.0})
    _window(store, reference, 5, _signal("performance_drop", "recall", 0.5, 5), shift={"f03": 1.0})
    (latency, latency_kinds, latency_causes), (drift, drift_kinds, drift_causes) = _incidents(store)
    assert latency_kinds == ["latency"]
    assert (latency.severity, latency.category) == ("SEV3", "infrastructure")
    assert set(latency_causes) == {"infrastructure"}  # on noise and on the drifted windows alike
    assert drift_kinds == ["feature_drift", "performance_drop"]  # performance joins drift
    assert drift.severity == "SEV2"
    assert drift_causes[0] == "covariate_drift"
    with store.session() as session:
        actions = [a.type for a in list_actions(session, incident_id=drift.id)]
    assert actions == ["route_fallback"]  # moved by the performance drop, not by the drift


def test_a_unit_change_is_a_pipeline_bug_contained_and_fixed_not_retrained(
    store: Store, reference: Reference
) -> None:
    for index in range(3):
        _window(store, reference, index)
    drift = _signal("feature_drift", "f07", 5.0, 3)
    out = _signal("out_of_range", "f07", 0.95, 3, statistic="out_of_range_share")
    _window(store, reference, 3, drift, out, scale={"f07": 100.0})
    ((incident, kinds, causes),) = _incidents(store)
    assert kinds == ["feature_drift", "out_of_range"]
    assert causes == ["pipeline_bug"]
    with store.session() as session:
        assert [a.type for a in list_actions(session, incident_id=incident.id)] == [
            "route_fallback"
        ]
        (report,) = list_triage_reports(session, incident_id=incident.id)
        change = report.report["pipeline_checks"]["unit_changes"][0]
        advice = recommend(collect_incident(session, incident=incident))
    assert change["column"] == "f07"
    assert change["factor"] == pytest.approx(100.0, rel=0.05)
    assert advice.decision == "fix the pipeline"
    assert "out_of_range in f07" in advice.reasons[0]
    assert not any("retrain" in r and "do not" not in r for r in advice.reasons)


def test_the_report_is_refreshed_every_window_the_incident_is_open(
    store: Store, reference: Reference
) -> None:
    for index in range(3):
        _window(store, reference, index)
    _window(store, reference, 3, _signal("feature_drift", "f01", 0.4, 3), shift={"f01": 1.0})
    out = _signal("out_of_range", "f02", 0.9, 4, statistic="out_of_range_share")
    _window(store, reference, 4, out, shift={"f01": 1.0}, scale={"f02": 100.0})
    _window(store, reference, 5, shift={"f01": 1.0}, scale={"f02": 100.0})  # no new signal
    ((incident, _, causes),) = _incidents(store)
    assert causes == ["covariate_drift", "pipeline_bug", "pipeline_bug"]  # at once, no lag
    with store.session() as session:
        windows = [r.window_id for r in list_triage_reports(session, incident_id=incident.id)]
        events = list_timeline(session, incident_id=incident.id)
    assert windows == ["w003", "w004", "w005"]
    verdicts = [e.details["cause"] for e in events if e.kind == "triage_report"]
    assert verdicts == ["covariate_drift", "pipeline_bug"]  # the timeline keeps changes only
