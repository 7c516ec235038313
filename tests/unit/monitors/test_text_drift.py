"""Text drift: the token sketch sees what length and word counts cannot."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

import redline
from redline.domain import Level
from redline.monitors.drift import NumericDriftMonitor
from redline.monitors.text_drift import TextDriftMonitor

if TYPE_CHECKING:
    from conftest import Stream


def _reversed(texts: np.ndarray) -> np.ndarray:
    return np.array([" ".join(w[::-1] for w in t.split(" ")) for t in texts], dtype=object)


def test_a_topic_shift_at_the_same_lengths_is_text_drift_only(stream: Stream) -> None:
    rows = stream.rows(7)
    rows["note"] = stream.notes(np.random.default_rng(7), stream.n_window, topic=3)
    text = TextDriftMonitor(stream.reference, persistence=1)
    numeric = NumericDriftMonitor(stream.reference, columns=["note.length", "note.words"])
    window = stream.window(rows)
    assert numeric.update(window).signals == ()
    (signal,) = text.update(window).signals
    assert (signal.kind, signal.column, signal.statistic) == (
        "feature_drift",
        "note.tokens",
        "token_js_distance",
    )
    assert signal.level == Level.ALARM
    assert signal.value > signal.threshold >= signal.evidence["floor"]
    moved = signal.evidence["top_moves"][0]
    assert moved["reference_words"], moved
    assert set(moved["reference_words"]) <= set(stream.words)


def test_reversed_words_warn_then_alarm_when_they_persist(stream: Stream) -> None:
    rows = stream.rows(8)
    rows["note"] = _reversed(rows["note"])
    monitor = TextDriftMonitor(stream.reference, columns=["note"])
    first = monitor.update(stream.window(rows, index=0)).signals
    second = monitor.update(stream.window(rows, index=1)).signals
    assert [s.level for s in first] == [Level.WARNING]
    assert [s.level for s in second] == [Level.ALARM]
    assert second[0].value > 0.5
    assert abs(second[0].evidence["statistics"]["tokens_per_text_ratio"] - 1.0) < 0.05
    assert second[0].evidence["consecutive_windows"] == 2


def test_small_windows_are_pooled_until_there_are_enough_texts(stream: Stream) -> None:
    monitor = TextDriftMonitor(stream.reference, persistence=1)
    rng = np.random.default_rng(9)
    smallest = min(stream.reference.window_sizes)
    signals = []
    for i in range(3):
        rows = stream.rows(20 + i, n=smallest // 2 + 1)
        rows["note"] = stream.notes(rng, rows["note"].size, topic=10)
        signals.append(monitor.update(stream.window(rows, index=i)).signals)
    assert signals[0] == ()
    assert signals[1][0].evidence["pooled_windows"] == 2
    assert signals[1][0].n_rows == 2 * (smallest // 2 + 1)


def test_check_reports_the_token_sketch_beside_the_descriptors(stream: Stream) -> None:
    rows = stream.rows(11)
    quiet = redline.check(stream.reference, rows)
    assert "note.tokens" in {c.name for c in quiet.columns}
    assert not quiet.drifted
    rows["note"] = _reversed(rows["note"])
    report = redline.check(stream.reference, rows)
    assert report.drifted_columns == ["note.tokens"]
    found = next(c for c in report.to_dict()["columns"] if c["name"] == "note.tokens")
    assert found["statistic"] == "token_js_distance"
    assert found["top_moves"]
