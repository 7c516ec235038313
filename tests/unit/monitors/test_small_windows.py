"""Small windows are tested when a calibrated threshold covers their size, pooled in the Guard's
monitors until they are, and otherwise reported as not tested, never as clean."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from scipy import stats as sps

import redline
from redline.cli.console import render_plain
from redline.cli.drift_table import drift_renderables
from redline.guard.guard import GuardEngine as Guard
from redline.guard.sinks import MemorySink
from redline.monitors.columns import DEFAULT_FLOORS, MIN_ROWS, judge_column
from redline.monitors.drift import CategoricalDriftMonitor, NumericDriftMonitor
from redline.monitors.report import check
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec
from redline.profiles.states import CategoricalState
from redline.reports import drift_summary, render_drift_html

if TYPE_CHECKING:
    from conftest import Stream


@cache
def _binary_reference(share: float) -> Reference:
    """One two-category column holding exactly ``share`` positives; ten columns' alpha."""
    n = 20_000
    positive = np.zeros(n, dtype=bool)
    positive[: round(share * n)] = True
    labels = np.where(np.random.default_rng(3).permutation(positive), "yes", "no")
    return redline.fit_reference({"b": labels}, alpha=0.001)


def _false_alarm_rate(reference: Reference, w: int, share: float) -> float:
    """Exact: the probability, over Binomial(w, share) positives, that the column is flagged."""
    spec = reference.columns["b"]
    assert isinstance(spec, CategoricalSpec)
    yes = spec.vocab.index("yes")
    sd = np.sqrt(w * share * (1 - share))
    flagged = 0.0
    for c in range(max(0, int(w * share - 12 * sd)), min(w, int(w * share + 12 * sd)) + 1):
        counts = np.zeros(len(spec.vocab) + 1, dtype=np.int64)
        counts[yes], counts[1 - yes] = c, w - c
        verdict = judge_column(
            spec,
            CategoricalState(counts),
            window_sizes=reference.window_sizes,
            floors=DEFAULT_FLOORS,
        )
        assert verdict.tested
        flagged += float(sps.binom.pmf(c, w, share)) * verdict.drifted
    return flagged


@pytest.mark.parametrize("share", [0.03, 0.24])
def test_windows_between_calibrated_sizes_keep_the_false_alarm_budget(share: float) -> None:
    reference = _binary_reference(share)
    assert reference.window_sizes[:2] == (100, 300)
    for w in range(MIN_ROWS, 301, 10):
        assert _false_alarm_rate(reference, w, share) <= 0.001, w


def test_a_window_below_the_minimum_is_not_tested_however_far_it_moved() -> None:
    reference = _binary_reference(0.24)
    spec = reference.columns["b"]
    assert isinstance(spec, CategoricalSpec)
    counts = np.zeros(len(spec.vocab) + 1, dtype=np.int64)
    counts[spec.vocab.index("yes")] = MIN_ROWS - 3
    verdict = judge_column(
        spec, CategoricalState(counts), window_sizes=reference.window_sizes, floors=DEFAULT_FLOORS
    )
    assert verdict.value > verdict.threshold
    assert not verdict.tested
    assert not verdict.drifted
    assert verdict.note is not None
    assert verdict.note.startswith(f"not tested: {MIN_ROWS - 3} rows")


def test_the_smallest_calibrated_size_raises_the_minimum(stream: Stream) -> None:
    assert stream.reference.window_sizes[0] == 300
    rows = stream.rows(5, n=299)
    rows["x"] = rows["x"] + 10.0
    verdicts = {
        v.name: v for v in NumericDriftMonitor(stream.reference).verdicts(stream.window(rows))
    }
    assert not verdicts["x"].tested
    assert not verdicts["x"].drifted


# --- the Guard's monitors pool small windows --------------------------------------------------


def _small_windows(stream: Stream, n_windows: int, n_rows: int, shift: float) -> list[Any]:
    out = []
    for i in range(n_windows):
        rows = stream.rows(300 + i, n=n_rows)
        rows["x"] = rows["x"] + shift
        out.append(stream.window(rows, index=i))
    return out


def test_small_windows_are_pooled_until_a_test_can_run(stream: Stream) -> None:
    monitor = NumericDriftMonitor(stream.reference, persistence=1)
    windows = _small_windows(stream, 7, 100, shift=2.0)
    raised = [monitor.update(w).signals for w in windows]
    assert [len(s) for s in raised] == [0, 0, 1, 0, 0, 1, 0]
    (signal,) = raised[2]
    assert signal.column == "x"
    assert signal.n_rows == 300
    assert signal.evidence["pooled_windows"] == 3
    assert (signal.window_start, signal.window_end) == (windows[0].start, windows[2].end)
    assert raised[5][0].window_start == windows[3].start


def test_pooled_no_drift_windows_stay_quiet(stream: Stream) -> None:
    numeric = NumericDriftMonitor(stream.reference)
    categorical = CategoricalDriftMonitor(stream.reference)
    for window in _small_windows(stream, 60, 40, shift=0.0):
        assert numeric.update(window).signals == ()
        assert categorical.update(window).signals == ()


def test_a_pool_is_capped_and_reset_forgets_it(stream: Stream) -> None:
    capped = NumericDriftMonitor(stream.reference, persistence=1, max_pooled=2)
    assert all(not capped.update(w).signals for w in _small_windows(stream, 6, 100, 2.0))
    monitor = NumericDriftMonitor(stream.reference, persistence=1)
    windows = _small_windows(stream, 3, 100, shift=2.0)
    monitor.update(windows[0]).update(windows[1]).reset()
    assert monitor.update(windows[2]).signals == ()
    with pytest.raises(ValueError, match="max_pooled"):
        NumericDriftMonitor(stream.reference, max_pooled=0)


# --- reports say "not tested", never "no drift" -----------------------------------------------


def _small_report(stream: Stream, n_rows: int) -> dict[str, Any]:
    rows = stream.rows(9, n=n_rows)
    rows["c"] = np.array(["alpha"] * n_rows, dtype=object)
    return check(stream.reference, rows).to_dict()


def test_a_97_row_report_reads_not_tested_in_every_format(stream: Stream) -> None:
    report = _small_report(stream, 97)
    assert report["drifted_columns"] == []
    assert all(not c["tested"] for c in report["columns"])
    assert all(c["note"].startswith("not tested: 97 rows") for c in report["columns"])
    summary = drift_summary(report)
    assert summary.startswith("Not tested: ")
    assert "97 current rows" in summary
    assert "No drift" not in summary
    table = render_plain(drift_renderables(report))
    assert "not tested" in table
    assert "No drift" not in table
    page = render_drift_html(report)
    assert "not tested" in page
    assert "No drift" not in page


def test_a_partly_tested_report_names_the_untested_columns() -> None:
    columns = [
        {"name": "a", "tested": True, "drifted": False},
        {"name": "b", "tested": False, "drifted": False},
    ]
    summary = drift_summary({"columns": columns, "drifted_columns": [], "n_rows": 150})
    assert summary == "1 of 2 columns tested over 150 current rows, none drifted. " + (
        "Not tested (too few rows): b."
    )
    columns[0]["drifted"] = True
    summary = drift_summary({"columns": columns, "drifted_columns": ["a"], "n_rows": 150})
    assert summary.startswith("Drift in 1 of 2 columns over 150 current rows: a.")
    assert summary.endswith("Not tested (too few rows): b.")


def test_a_window_of_the_minimum_size_is_tested(stream: Stream) -> None:
    report = check(redline.fit_reference(stream.rows(2, n=20_000)), stream.rows(3, n=MIN_ROWS))
    assert all(c.tested for c in report.columns)
    assert "No drift" in drift_summary(report.to_dict())


def test_a_guard_with_40_row_windows_tests_drift_on_pooled_windows() -> None:
    rng = np.random.default_rng(8)
    reference = redline.fit_reference(
        {"x": rng.normal(size=20_000), "region": rng.choice(["n", "s", "e"], 20_000)}
    )
    sink = MemorySink()
    with Guard(model="m", predict=lambda r: 0.0, reference=reference, sink=sink) as guard:
        drifted_at = []
        for i in range(6):
            for x in rng.normal(2.0, 1.0, 40):
                guard.predict({"x": float(x), "region": "n"})
            guard.flush()
            if sink.signals:
                drifted_at.append(i)
                sink.signals.clear()
    assert drifted_at == [2, 5]
