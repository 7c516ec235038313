"""The data gate in words: phrases per finding and the summary line, from plain dicts."""

from __future__ import annotations

from typing import Any

from redline.reports import (
    finding_detail,
    finding_phrase,
    gate_findings_of,
    gate_summary,
    render_drift_html,
)


def _f(kind: str, column: str | None = None, *, fails: bool = True, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "column": column, "fails": fails, **more}


def _report(*findings: dict[str, Any]) -> dict[str, Any]:
    return {"gate": {"failed": any(f["fails"] for f in findings), "findings": list(findings)}}


def test_phrases_say_what_failed_without_rounding_to_100_percent() -> None:
    nulls = _f("null_jump", "y", value=0.3, evidence={"null_share": 0.3})
    assert finding_phrase(nulls) == "30% nulls in 'y' (reference 0%)"
    assert finding_phrase(_f("type_violation", "amount", value=0.99967)) == (
        "99.97% unparseable in 'amount'"
    )
    out_of_range = _f(
        "out_of_range", "age", value=0.2, evidence={"reference_min": 18, "reference_max": 79}
    )
    assert finding_phrase(out_of_range) == "20% out of range in 'age' (reference 18 to 79)"
    assert finding_phrase(_f("zero_rows")) == "0 rows"
    assert finding_phrase(_f("missing_column", "x")) == "missing column 'x'"
    assert finding_phrase(_f("some_new_kind", "z")) == "some new kind in 'z'"


def test_the_summary_counts_failures_then_warnings() -> None:
    report = _report(
        _f("missing_column", "x"),
        _f("null_jump", "y", value=0.25, evidence={"null_share": 0.3}),
        _f("type_violation", "amount", value=0.9997),
        _f("extra_column", "note", fails=False),
    )
    assert gate_summary(report) == (
        "3 integrity failures: missing column 'x', 30% nulls in 'y' (reference 5%), "
        "99.97% unparseable in 'amount'. "
        "1 integrity warning: extra column 'note' (not in the reference)."
    )
    assert gate_summary(_report()) is None
    assert gate_summary({}) is None


def test_many_missing_columns_share_one_phrase_and_long_lists_are_cut() -> None:
    missing = [_f("missing_column", f"c{i}") for i in range(8)]
    summary = gate_summary(_report(_f("zero_rows"), *missing))
    assert summary == (
        "9 integrity failures: 0 rows, 8 missing columns ('c0', 'c1', 'c2', 'c3', 'c4' and 3 more)."
    )


def test_details_list_remapped_labels_ranges_and_unseen_values() -> None:
    labels = [
        {"label": "a", "reference": 0.5, "current": 0.3},
        {"label": "b", "reference": 0.3, "current": 0.5},
    ]
    assert finding_detail(_f("mapping_error", "c", evidence={"labels": labels})) == (
        "a: 50.0% -> 30.0%, b: 30.0% -> 50.0%"
    )
    assert finding_detail(_f("out_of_range", "x", evidence={"min": 1.0, "max": 500.0})) == (
        "seen 1 to 500"
    )
    unseen = _f("unseen_categories", "c", evidence={"top_unseen": [["zz", 9], ["yy", 3]]})
    assert finding_detail(unseen) == "unseen: zz, yy"
    assert finding_detail(_f("null_jump", "y")) == ""


def test_a_report_without_a_gate_shows_its_integrity_signals_as_warnings() -> None:
    old = {"integrity": [{"kind": "null_jump", "column": "y", "value": 0.3}]}
    assert [f["fails"] for f in gate_findings_of(old)] == [False]
    assert gate_summary(old) == "1 integrity warning: more nulls in 'y'."


def test_the_html_page_shows_the_gate_escaped() -> None:
    labels = [{"label": "<b>", "reference": 0.5, "current": 0.3}]
    report = _report(
        _f("mapping_error", "<seg>", evidence={"labels": labels}),
        _f("extra_column", "x&y", fails=False),
    )
    page = render_drift_html(report)
    assert (
        '<p class="summary drift">1 integrity failure: remapped categories in '
        "&#x27;&lt;seg&gt;&#x27;. 1 integrity warning: extra column &#x27;x&amp;y&#x27;"
    ) in page
    assert '<td class="note">&lt;b&gt;: 50.0% -&gt; 30.0%</td>' in page
    assert page.count('class="marker drift">fail<') == 1
    assert page.count('class="marker warn">warn<') == 1
    assert "<seg>" not in page
    assert "<b>" not in page
