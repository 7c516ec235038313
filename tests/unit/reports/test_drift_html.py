"""The HTML drift report: self-contained, escaped, one chart per drifted column."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import redline
from redline.reports import drift_summary, format_share, format_value, render_drift_html
from redline.reports.svg_bars import histogram_svg

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """A real report whose drifted numeric column and drifted categories carry markup."""
    rng = np.random.default_rng(3)
    reference = {
        EVIL: rng.normal(0.0, 1.0, 3_000),
        "calm": rng.normal(0.0, 1.0, 3_000),
        "city": rng.choice(["<b>paris</b>", 'lyon"&'], 3_000),
    }
    current = {
        EVIL: rng.normal(1.0, 1.0, 1_000),
        "calm": rng.normal(0.0, 1.0, 1_000),
        "city": rng.choice(["<b>paris</b>", 'lyon"&'], 1_000, p=[0.9, 0.1]),
    }
    body: dict[str, Any] = redline.check(reference, current).to_dict()
    return body


def test_user_strings_are_escaped(report: dict[str, Any]) -> None:
    assert report["drifted_columns"] == [EVIL, "city"]
    page = render_drift_html(report)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>paris" not in page
    assert "&lt;b&gt;paris&lt;/b&gt;" in page
    assert "lyon&quot;&amp;" in page


def test_page_is_self_contained(report: dict[str, Any]) -> None:
    page = render_drift_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "http" not in page
    assert not re.search(r"<(link|img|iframe|object)\b|\bsrc=|url\(", page, re.IGNORECASE)


def test_one_chart_per_drifted_column(report: dict[str, Any]) -> None:
    page = render_drift_html(report)
    assert page.count("<svg") == len(report["drifted_columns"]) == 2
    numeric = next(c for c in report["columns"] if c["name"] == EVIL)["histogram"]
    bars = histogram_svg(numeric).count("<rect") - 2  # minus the two legend swatches
    assert bars == 2 * len(numeric["reference"]) == 2 * (len(numeric["edges"]) - 1)


def test_summary_table_lists_every_column(report: dict[str, Any]) -> None:
    page = render_drift_html(report)
    table = page.split("<h2>Columns</h2>", 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + len(report["columns"])
    assert table.count('class="marker drift"') == 2
    assert table.count('class="marker ok"') == 1


def test_rendering_is_deterministic(report: dict[str, Any]) -> None:
    assert render_drift_html(report) == render_drift_html(report)


def test_missing_values_and_keys_do_not_raise() -> None:
    sparse = {
        "columns": [
            {"name": "x", "drifted": True, "value": None, "histogram": {"type": "numeric"}},
            {"name": "y", "note": "12 rows; distribution tests need at least 30"},
        ],
        "integrity": [{"level": "warning", "kind": "null_jump", "column": "<y>", "value": 0.3}],
    }
    page = render_drift_html(sparse)
    assert "n/a" in page
    assert "distribution tests need at least 30" in page
    assert "Integrity findings" in page
    assert "&lt;y&gt;" in page
    assert "<svg" in page
    assert "No drift in 0 columns." in render_drift_html({})


def test_summary_and_number_formats() -> None:
    report = {"n_rows": 2000, "columns": [{}, {}, {}], "drifted_columns": ["a", "b"]}
    assert drift_summary(report) == "Drift in 2 of 3 columns over 2,000 current rows: a, b."
    assert drift_summary({"columns": [{}]}) == "No drift in 1 column."
    assert [format_value(v) for v in (None, 0.123456, float("nan"), 3, True)] == [
        "n/a",
        "0.1235",
        "n/a",
        "3",
        "True",
    ]
    assert format_share(0.1234) == "12.3%"
    assert format_share(None) == "n/a"


def test_reports_stay_free_of_ui_and_database_libraries() -> None:
    code = (
        "import sys, redline.reports; "
        "print(sorted(m for m in ('typer', 'rich', 'sqlalchemy', 'fastapi') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
