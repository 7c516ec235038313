"""The data gate: integrity signals, zero rows and missing columns fail; extra columns warn."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

import redline
from redline.domain import Level, Signal
from redline.monitors.gate import GATE_MONITOR, GateFinding, gate_findings
from redline.monitors.report import check
from redline.profiles.window import WindowProfile

if TYPE_CHECKING:
    from conftest import Stream


def _kinds(findings: list[GateFinding]) -> list[tuple[str, str | None, bool]]:
    return [(f.kind, f.column, f.fails) for f in findings]


def _signal(kind: str, column: str) -> Signal:
    return Signal("integrity", kind, column, "share", 0.3, 0.05, Level.WARNING)


def test_clean_rows_pass_the_gate(stream: Stream) -> None:
    assert gate_findings([], stream.window(stream.rows())) == []


def test_zero_rows_fail_whatever_the_monitors_say(stream: Stream) -> None:
    window = WindowProfile.empty(stream.reference)
    (finding,) = gate_findings([], window)
    assert _kinds([finding]) == [("zero_rows", None, True)]
    assert finding.signal.monitor == GATE_MONITOR
    assert finding.signal.level is Level.ALARM


def test_every_integrity_signal_fails_and_a_missing_column_is_named_once(stream: Stream) -> None:
    rows = stream.rows()
    del rows["z"]
    window = stream.window(rows)
    signals = [_signal("missing_column", "z"), _signal("null_jump", "x")]
    assert _kinds(gate_findings(signals, window)) == [
        ("missing_column", "z", True),
        ("null_jump", "x", True),
    ]
    assert _kinds(gate_findings([], window)) == [("missing_column", "z", True)]


@pytest.mark.parametrize("strict", [False, True])
def test_an_extra_column_fails_only_when_strict(stream: Stream, strict: bool) -> None:
    window = stream.window({**stream.rows(), "comment": np.array(["x"] * stream.n_window)})
    (finding,) = gate_findings([], window, strict=strict)
    assert _kinds([finding]) == [("extra_column", "comment", strict)]
    assert finding.signal.value == stream.n_window
    assert finding.signal.level is (Level.ALARM if strict else Level.WARNING)
    assert gate_findings([], window, strict=strict, unprofiled={"comment"}) == []


def test_check_reports_the_gate_in_its_dict(stream: Stream) -> None:
    rows = stream.rows()
    rows["x"] = np.where(np.arange(stream.n_window) % 2 == 0, np.nan, rows["x"])
    report = check(stream.reference, rows)
    assert report.integrity_failed
    assert [(f.kind, f.column) for f in report.failures] == [("null_jump", "x")]
    gate = report.to_dict()["gate"]
    assert gate["failed"] is True
    assert gate["strict"] is False
    assert [(f["kind"], f["fails"]) for f in gate["findings"]] == [("null_jump", True)]
    clean = check(stream.reference, stream.rows(seed=2))
    assert not clean.integrity_failed
    assert clean.to_dict()["gate"] == {"failed": False, "strict": False, "findings": []}


def test_a_column_the_reference_saw_but_did_not_profile_is_not_extra() -> None:
    rng = np.random.default_rng(0)
    stamps = np.arange(1_000).astype("datetime64[s]")
    reference = redline.fit_reference(
        {"x": rng.normal(size=1_000), "ts": stamps}, window_sizes=[100]
    )
    report = check(reference, {"x": rng.normal(size=500), "ts": stamps[:500]}, strict=True)
    assert report.gate == []
    assert not any("not in the reference" in note for note in report.notes)
    extra = check(reference, {"x": rng.normal(size=500), "id": np.arange(500)}, strict=True)
    assert [(f.kind, f.column, f.fails) for f in extra.gate] == [("extra_column", "id", True)]
