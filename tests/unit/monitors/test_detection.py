"""Each monitor detects its shift on 2k-row windows against a 20k-row reference, and stays quiet
on no-drift streams."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

import redline
from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.monitors.confidence import ConfidenceMonitor
from redline.monitors.drift import (
    CategoricalDriftMonitor,
    NumericDriftMonitor,
    PredictionDriftMonitor,
)
from redline.monitors.integrity import IntegrityMonitor
from redline.monitors.latency import LatencyMonitor
from redline.monitors.registry import REGISTRY, MonitorSuite
from redline.monitors.sources import SourceShareMonitor
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

if TYPE_CHECKING:
    from conftest import Stream

N_WINDOW = 2_000


def _run(monitor: Monitor, windows: list[WindowProfile]) -> list[tuple[Signal, ...]]:
    return [monitor.update(w).signals for w in windows]


def _only(signals: tuple[Signal, ...], kind: str | None = None) -> Signal:
    chosen = [s for s in signals if kind is None or s.kind == kind]
    assert len(chosen) == 1, signals
    return chosen[0]


def _kinds(signals: tuple[Signal, ...] | list[Signal]) -> set[tuple[str, str | None]]:
    return {(s.kind, s.column) for s in signals}


# --- control --------------------------------------------------------------------------------


def test_a_no_drift_stream_raises_nothing(stream: Stream) -> None:
    rng = np.random.default_rng(2)
    config: dict[str, Any] = dict.fromkeys(REGISTRY) | {"latency": {"slo_p95_ms": 500.0}}
    suite = MonitorSuite(stream.reference, config)
    for i in range(4):
        window = stream.window(
            stream.rows(10 + i),
            index=i,
            latency_ms=rng.lognormal(np.log(50), 0.3, N_WINDOW),
            sources=[f"10.0.{k}.0/24" for k in rng.integers(0, 20, N_WINDOW)],
        )
        assert suite.evaluate(window) == []


# --- feature distributions -----------------------------------------------------------------


def test_mean_shift_is_numeric_drift(stream: Stream) -> None:
    rows = stream.rows()
    rows["x"] = rows["x"] + 0.5 * 2.0  # half a reference standard deviation
    (signals,) = _run(NumericDriftMonitor(stream.reference), [stream.window(rows)])
    s = _only(signals)
    assert (s.monitor, s.kind, s.column, s.statistic) == (
        "numeric_drift",
        "feature_drift",
        "x",
        "wasserstein_norm",
    )
    assert s.value > s.threshold >= 0.1
    assert s.level == Level.WARNING
    assert s.evidence["statistics"]["mean_shift_sd"] == pytest.approx(0.5, abs=0.1)


def test_variance_change_is_numeric_drift(stream: Stream) -> None:
    rows = stream.rows()
    rows["x"] = 10.0 + (rows["x"] - 10.0) * 1.8
    (signals,) = _run(NumericDriftMonitor(stream.reference), [stream.window(rows)])
    s = _only(signals)
    assert s.column == "x"
    assert s.evidence["statistics"]["variance_ratio"] == pytest.approx(1.8**2, rel=0.15)
    assert abs(s.evidence["statistics"]["mean_shift_sd"]) < 0.15


def test_category_mix_change_is_categorical_drift(stream: Stream) -> None:
    rng = np.random.default_rng(3)
    rows = stream.rows()
    rows["c"] = rng.choice(
        np.array(stream.labels, dtype=object), N_WINDOW, p=[0.1, 0.1, 0.2, 0.2, 0.2, 0.2]
    )
    (signals,) = _run(CategoricalDriftMonitor(stream.reference), [stream.window(rows)])
    s = _only(signals)
    assert (s.kind, s.column, s.statistic) == ("feature_drift", "c", "js_distance")
    moved = {m["bin"] for m in s.evidence["top_moves"][:2]}
    assert moved <= {"alpha", "beta", "epsilon", "zeta"}


# --- integrity ------------------------------------------------------------------------------


def test_unseen_categories(stream: Stream) -> None:
    rng = np.random.default_rng(4)
    rows = stream.rows()
    new = rng.random(N_WINDOW) < 0.15
    rows["c"] = np.where(
        new, rng.choice(np.array(["omega", "psi"], dtype=object), N_WINDOW), rows["c"]
    )
    signals = IntegrityMonitor(stream.reference).update(stream.window(rows)).signals
    s = _only(signals, "unseen_categories")
    assert s.column == "c"
    assert s.value == pytest.approx(new.mean(), abs=0.02)
    top = dict(s.evidence["top_unseen"])
    assert set(top) == {"omega", "psi"}
    assert sum(top.values()) == new.sum()
    assert _kinds(signals) <= {("unseen_categories", "c"), ("mapping_error", "c")}


def test_null_rate_jump(stream: Stream) -> None:
    rows = stream.rows()
    rows["x"][::5] = np.nan
    signals = IntegrityMonitor(stream.reference).update(stream.window(rows)).signals
    s = _only(signals)
    assert (s.kind, s.column) == ("null_jump", "x")
    assert s.value == pytest.approx(0.2)


def test_out_of_range_values(stream: Stream) -> None:
    rows = stream.rows()
    rows["z"][::10] = 1e6
    signals = IntegrityMonitor(stream.reference).update(stream.window(rows)).signals
    s = _only(signals)
    assert (s.kind, s.column) == ("out_of_range", "z")
    assert s.value == pytest.approx(0.1, abs=0.002)
    assert s.evidence["max"] == 1e6


def test_strings_in_a_numeric_column_are_type_violations(stream: Stream) -> None:
    rows = stream.rows()
    x = rows["x"].astype(object)
    x[::20] = "N/A"
    rows["x"] = x
    signals = IntegrityMonitor(stream.reference).update(stream.window(rows)).signals
    s = _only(signals)
    assert (s.kind, s.column, s.statistic) == ("type_violation", "x", "invalid_share")
    assert s.value == pytest.approx(0.05)


def test_missing_column(stream: Stream) -> None:
    rows = stream.rows()
    del rows["z"]
    signals = IntegrityMonitor(stream.reference).update(stream.window(rows)).signals
    s = _only(signals)
    assert (s.kind, s.column, s.value) == ("missing_column", "z", 1.0)


def test_permuted_category_labels_are_a_likely_mapping_error(stream: Stream) -> None:
    rows = stream.rows()
    rotate = dict(zip(stream.labels, stream.labels[1:] + stream.labels[:1], strict=True))
    rows["c"] = np.array([rotate[v] for v in rows["c"]], dtype=object)
    signals = IntegrityMonitor(stream.reference).update(stream.window(rows)).signals
    s = _only(signals, "mapping_error")
    assert s.column == "c"
    assert s.level == Level.ALARM
    assert s.evidence["js_of_sorted_frequencies"] < 0.05 < 0.1 < s.evidence["js_by_label"]
    assert "mapping error" in s.evidence["likely"]
    # A genuine mix change is not mistaken for a mapping error.
    rng = np.random.default_rng(5)
    rows["c"] = rng.choice(np.array(stream.labels, dtype=object), N_WINDOW, p=[1 / 6] * 6)
    signals = IntegrityMonitor(stream.reference).update(stream.window(rows)).signals
    assert "mapping_error" not in {s.kind for s in signals}


# --- model outputs --------------------------------------------------------------------------


def test_prediction_drift(stream: Stream) -> None:
    rng = np.random.default_rng(6)
    rows = stream.rows()
    rows["pred"] = rng.choice(np.array(stream.classes, dtype=object), N_WINDOW, p=[0.4, 0.3, 0.3])
    (signals,) = _run(PredictionDriftMonitor(stream.reference), [stream.window(rows)])
    s = _only(signals)
    assert (s.monitor, s.kind, s.column) == ("prediction_drift", "prediction_drift", "pred")
    # Feature monitors do not watch the prediction column.
    assert NumericDriftMonitor(stream.reference).update(stream.window(rows)).signals == ()
    assert CategoricalDriftMonitor(stream.reference).update(stream.window(rows)).signals == ()


def test_confidence_drop(stream: Stream) -> None:
    rows = stream.rows()
    conf_sd = stream.reference.columns["conf"].std  # type: ignore[union-attr]
    rows["conf"] = rows["conf"] - 0.5 * conf_sd
    s = _only(ConfidenceMonitor(stream.reference).update(stream.window(rows)).signals)
    assert (s.kind, s.column, s.statistic) == ("confidence_drop", "conf", "mean_drop_sd")
    assert s.value == pytest.approx(0.5, abs=0.1)
    assert s.value > s.threshold >= 0.25
    # A rise in confidence is not a drop.
    rows["conf"] = stream.rows()["conf"] + 0.5 * conf_sd
    assert ConfidenceMonitor(stream.reference).update(stream.window(rows)).signals == ()


# --- operations -----------------------------------------------------------------------------


def test_latency_slo_breach_is_critical(stream: Stream) -> None:
    rng = np.random.default_rng(7)
    monitor = LatencyMonitor(stream.reference, slo_p95_ms=300.0)
    fast = stream.window(stream.rows(), latency_ms=rng.lognormal(np.log(100), 0.3, N_WINDOW))
    assert monitor.update(fast).signals == ()
    slow = stream.window(
        stream.rows(), index=1, latency_ms=rng.lognormal(np.log(400), 0.3, N_WINDOW)
    )
    s = _only(monitor.update(slow).signals)
    assert (s.kind, s.statistic, s.level) == ("latency", "latency_p95_ms", Level.CRITICAL)
    expected_p95 = 400 * np.exp(0.3 * 1.645)
    assert s.value == pytest.approx(expected_p95, rel=0.05)
    assert s.threshold == 300.0
    assert s.evidence["against"] == "slo"


def test_latency_jump_over_the_learned_baseline_is_a_warning(stream: Stream) -> None:
    rng = np.random.default_rng(8)
    monitor = LatencyMonitor(stream.reference, warmup_windows=3, factor=2.0)
    for i in range(3):
        w = stream.window(
            stream.rows(), index=i, latency_ms=rng.lognormal(np.log(50), 0.2, N_WINDOW)
        )
        assert monitor.update(w).signals == ()
    jump = stream.window(
        stream.rows(), index=3, latency_ms=rng.lognormal(np.log(150), 0.2, N_WINDOW)
    )
    signals = monitor.update(jump).signals
    assert {s.statistic for s in signals} == {"latency_p95_ms", "latency_p99_ms"}
    assert all(s.level == Level.WARNING for s in signals)
    assert all(s.evidence["against"] == "baseline" for s in signals)
    p95 = next(s for s in signals if s.statistic == "latency_p95_ms")
    assert p95.threshold == pytest.approx(2 * 50 * np.exp(0.2 * 1.645), rel=0.05)


def test_source_share_jump(stream: Stream) -> None:
    rng = np.random.default_rng(9)
    monitor = SourceShareMonitor(stream.reference)
    spread = [f"10.0.{k}.0/24" for k in range(20)]
    for i in range(3):
        w = stream.window(stream.rows(), index=i, sources=list(rng.choice(spread, N_WINDOW)))
        assert monitor.update(w).signals == ()
    burst = list(rng.choice(spread, N_WINDOW))
    burst[: N_WINDOW // 2] = ["203.0.113.0/24"] * (N_WINDOW // 2)
    s = _only(monitor.update(stream.window(stream.rows(), index=3, sources=burst)).signals)
    assert (s.kind, s.statistic) == ("source_share", "source_share")
    assert s.evidence["source"] == "203.0.113.0/24"
    assert s.value == pytest.approx(0.5)
    assert s.evidence["baseline_share"] == 0.0


# --- escalation through the suite -----------------------------------------------------------


def _shifted(stream: Stream, seed: int) -> dict[str, Any]:
    rows = stream.rows(seed)
    rows["x"] = rows["x"] + 1.0
    return rows


def test_persistent_drift_escalates_from_warning_to_alarm(stream: Stream) -> None:
    suite = MonitorSuite(stream.reference, {"numeric_drift": {"persistence": 2}})
    levels = []
    for i, rows in enumerate(
        [_shifted(stream, 1), _shifted(stream, 2), stream.rows(3), _shifted(stream, 4)]
    ):
        signals = suite.evaluate(stream.window(rows, index=i))
        assert {s.column for s in signals} <= {"x"}
        levels.append([s.level for s in signals])
    assert levels == [[Level.WARNING], [Level.ALARM], [], [Level.WARNING]]


def test_agreeing_feature_and_prediction_drift_is_an_alarm(stream: Stream) -> None:
    config: dict[str, Any] = {"numeric_drift": None, "prediction_drift": None}
    rows = _shifted(stream, 1)
    alone = MonitorSuite(stream.reference, config, model="m").evaluate(stream.window(rows))
    assert [(s.kind, s.level) for s in alone] == [("feature_drift", Level.WARNING)]
    rng = np.random.default_rng(10)
    rows["pred"] = rng.choice(np.array(stream.classes, dtype=object), N_WINDOW, p=[0.4, 0.3, 0.3])
    both = MonitorSuite(stream.reference, config, model="m").evaluate(stream.window(rows))
    assert sorted((s.kind, s.level) for s in both) == [
        ("feature_drift", Level.ALARM),
        ("prediction_drift", Level.ALARM),
    ]
    assert all(s.model == "m" for s in both)
    assert all(s.evidence["agreeing_kinds"] == ["feature_drift", "prediction_drift"] for s in both)


# --- false alarms ---------------------------------------------------------------------------


def _no_drift_columns(rng: np.random.Generator, n: int) -> dict[str, Any]:
    """10 numeric columns of different shapes (two discrete) and 3 categoricals."""
    cats = np.array([f"k{i}" for i in range(12)], dtype=object)
    return {
        "normal": rng.normal(size=n),
        "lognormal": rng.lognormal(0.0, 1.0, size=n),
        "uniform": rng.uniform(-3, 3, size=n),
        "exponential": rng.exponential(2.0, size=n),
        "student_t": rng.standard_t(3, size=n),
        "bimodal": np.where(rng.random(n) < 0.3, rng.normal(-3, 0.5, n), rng.normal(2, 1, n)),
        "beta": rng.beta(0.5, 0.5, size=n),
        "gamma": rng.gamma(2.0, 3.0, size=n),
        "poisson": rng.poisson(4.0, size=n).astype(np.float64),
        "rounded": np.round(rng.normal(50, 10, size=n)),
        "few": rng.choice(cats[:3], size=n, p=[0.6, 0.3, 0.1]),
        "many": rng.choice(cats, size=n, p=np.arange(12, 0, -1) / 78),
        "flag": rng.random(n) < 0.2,
    }


@pytest.fixture(scope="module")
def wide_reference() -> Reference:
    return redline.fit_reference(
        _no_drift_columns(np.random.default_rng(123), 20_000),
        window_sizes=[300, 1_000, 3_000, 10_000, 100_000, 1_000_000],
    )


def test_false_alarm_rate_on_no_drift_windows_is_within_budget(
    wide_reference: Reference,
) -> None:
    rng = np.random.default_rng(456)
    numeric = NumericDriftMonitor(wide_reference)
    categorical = CategoricalDriftMonitor(wide_reference)
    n_windows, flagged = 200, 0
    for i in range(n_windows):
        window = WindowProfile.of(wide_reference, _no_drift_columns(rng, 1_000))
        window_signals = numeric.update(window).signals + categorical.update(window).signals
        flagged += bool(window_signals)
        if i == 0:
            assert numeric.verdicts(window), "the numeric monitor watches no column"
    # alpha = 1% per window for the whole family; 3% leaves room for noise over 200 windows.
    assert flagged / n_windows <= 0.03


def _shift(data: dict[str, Any], numeric: dict[str, float], seed: int) -> dict[str, Any]:
    out = dict(data)
    for name, sd in numeric.items():
        out[name] = data[name] + sd * np.std(data[name])
    return out


def test_check_flags_exactly_the_shifted_columns(wide_reference: Reference) -> None:
    rng = np.random.default_rng(789)
    current = _no_drift_columns(rng, 2_000)
    current = _shift(current, {"normal": 0.5, "gamma": 0.5}, 0)
    current["many"] = rng.choice(np.array([f"k{i}" for i in range(12)], dtype=object), 2_000)
    report = redline.check(wide_reference, current)
    assert sorted(report.drifted_columns) == ["gamma", "many", "normal"]
    assert {c.name for c in report.columns} == set(wide_reference.columns)


def test_check_on_raw_reference_data_flags_exactly_the_shifted_columns() -> None:
    rng = np.random.default_rng(790)
    ref = pd.DataFrame(_no_drift_columns(rng, 20_000)).iloc[:, [0, 1, 9, 10]]
    current = pd.DataFrame(_no_drift_columns(rng, 2_000)).iloc[:, [0, 1, 9, 10]]
    current["lognormal"] = current["lognormal"] * 1.6
    assert redline.check(ref, current).drifted_columns == ["lognormal"]


def test_check_on_a_saved_reference_and_a_csv_flags_exactly_the_shifted_columns(
    wide_reference: Reference, tmp_path: Path
) -> None:
    rng = np.random.default_rng(792)
    current = pd.DataFrame(_shift(_no_drift_columns(rng, 2_000), {"uniform": 0.5}, 0))
    current.to_csv(tmp_path / "current.csv", index=False)
    saved = wide_reference.save(tmp_path / "reference.json")
    report = redline.check(saved, tmp_path / "current.csv")
    assert report.drifted_columns == ["uniform"]
    assert report.reference_hash == wide_reference.content_hash


def test_tiny_shift_on_a_huge_window_flags_nothing(wide_reference: Reference) -> None:
    rng = np.random.default_rng(791)
    data = _no_drift_columns(rng, 200_000)
    numeric = [n for n, v in data.items() if np.asarray(v).dtype.kind == "f"]
    tiny = redline.check(wide_reference, _shift(data, dict.fromkeys(numeric, 0.02), 0))
    assert tiny.drifted_columns == []
    # The same window with a practical shift is flagged, so the check above can fail.
    real = redline.check(wide_reference, _shift(data, {"normal": 0.3}, 0))
    assert real.drifted_columns == ["normal"]
