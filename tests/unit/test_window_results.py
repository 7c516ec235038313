"""A window's per-column results: the monitors' signals first, the rest judged as they judge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

import redline
from redline.domain import Level, Signal
from redline.guard.sinks import ClosedWindow
from redline.monitors.columns import DEFAULT_FLOORS, judge_column
from redline.monitors.registry import MonitorSuite
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.result_types import NOT_TESTED, OK, RESULTS_VERSION, WindowResults
from redline.services.window_results import results_of

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(11)
    x = rng.normal(size=4_000)
    data = {"x": x, "region": rng.choice(["n", "s", "e"], 4_000), "score": x + 1}
    return redline.fit_reference(data, prediction="score", window_sizes=[300, 1_000])


def _window(reference: Reference, *, n: int, shift: float = 0.0, seed: int = 1) -> WindowProfile:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, n)
    data = {"x": x, "region": rng.choice(["n", "s", "e"], n), "score": x + 1}
    end = START + timedelta(seconds=59)
    return WindowProfile.of(reference, data, start=START, end=end, window_id=f"w{seed}")


def _signal(column: str, level: Level, value: float) -> Signal:
    return Signal("numeric_drift", "feature_drift", column, "wasserstein_norm", value, 0.1, level)


def test_signalled_columns_keep_the_loudest_signal_and_the_rest_are_judged(
    reference: Reference,
) -> None:
    window = _window(reference, n=500)
    signals = [
        _signal("x", Level.WARNING, 0.2),
        _signal("x", Level.ALARM, 0.3),
        _signal("gone", Level.ALARM, 0.4),  # a column the reference no longer has
        Signal("latency", "latency", None, "p99", 900.0, 300.0, Level.ALARM),  # not a column's
    ]
    results = results_of(ClosedWindow("m", window, signals), reference)
    assert [(c.column, c.level) for c in results.columns] == [
        ("x", "alarm"),
        ("region", OK),
        ("score", OK),
        ("gone", "alarm"),
    ]
    x = results.column("x")
    assert x is not None
    assert (x.value, x.threshold, x.flagged) == (0.3, 0.1, True)
    region = results.column("region")
    assert region is not None
    oracle = judge_column(
        reference.columns["region"],
        window.columns["region"],
        window_sizes=reference.window_sizes,
        floors=DEFAULT_FLOORS,
    )
    assert (region.statistic, region.value, region.threshold) == (
        oracle.statistic,
        pytest.approx(oracle.value),
        pytest.approx(oracle.threshold),
    )


def test_the_results_agree_with_the_monitors_on_a_real_window(reference: Reference) -> None:
    suite = MonitorSuite(reference, {"numeric_drift": {"persistence": 1}, "categorical_drift": {}})
    window = _window(reference, n=1_000, shift=1.0, seed=4)
    signals = suite.evaluate(window)
    results = results_of(ClosedWindow("m", window, signals), reference)
    flagged = {c.column for c in results.columns if c.flagged}
    assert flagged == {s.column for s in signals if "drift" in s.kind} == {"x"}


def test_small_windows_are_not_tested_and_no_reference_keeps_only_signals(
    reference: Reference,
) -> None:
    small = _window(reference, n=30)
    judged = results_of(ClosedWindow("m", small, []), reference)
    assert {c.level for c in judged.columns} == {NOT_TESTED}
    alone = results_of(ClosedWindow("m", small, [_signal("x", Level.ALARM, 0.5)]), None)
    assert [(c.column, c.level) for c in alone.columns] == [("x", "alarm")]


def test_the_document_round_trips_and_other_versions_are_skipped(reference: Reference) -> None:
    window = _window(reference, n=500)
    results = results_of(ClosedWindow("m", window, [_signal("x", Level.ALARM, 0.3)]), reference)
    document = results.to_document()
    assert document["version"] == RESULTS_VERSION
    assert WindowResults.from_document(document) == results
    assert WindowResults.from_document({**document, "version": RESULTS_VERSION + 1}) is None
    assert WindowResults.from_document(None) is None


def test_a_column_binned_otherwise_has_no_result_rather_than_an_error(
    reference: Reference,
) -> None:
    data = _window(reference, n=500).to_dict()
    data["columns"]["region"]["counts"] = [1, 2]  # a sender's malformed profile
    window = WindowProfile.from_dict(data)
    results = results_of(ClosedWindow("m", window, []), reference)
    assert [c.column for c in results.columns] == ["x", "score"]
