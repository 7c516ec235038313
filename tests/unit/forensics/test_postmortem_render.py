"""Suggested playbook changes, and the HTML page: escaped, self-contained, chart in place."""

from __future__ import annotations

import re

import yaml

from redline.forensics.backtest import backtest_thresholds
from redline.forensics.postmortem_chart import drift_chart_svg
from redline.forensics.postmortem_html import CHART_PLACEHOLDER, render_postmortem_html
from redline.forensics.postmortem_playbook import playbook_diff, suggest_setting

PLAYBOOK = """\
version: 1
models:
  credit:
    reference: ref.json
    primary: app:predict
"""
INCIDENT = [0.02, 0.02, 0.02, 0.11, 0.15, 0.2]


def test_a_cheaper_earlier_persistence_is_suggested_as_a_diff() -> None:
    rows = backtest_thresholds(INCIDENT, [0.02] * 100, threshold=0.1, persistence=2, window_s=3600)
    suggestion = suggest_setting(rows)
    assert suggestion is not None
    assert suggestion.overrides == {"persistence": 1}
    assert "1 window(s) earlier" in suggestion.text
    diff = playbook_diff(
        PLAYBOOK, model="credit", monitor="numeric_drift", overrides=suggestion.overrides
    )
    assert diff.startswith("--- redline.yaml\n+++ redline.yaml (suggested)\n")
    assert "+    monitors:\n+      numeric_drift:\n+        persistence: 1\n" in diff
    patched = yaml.safe_load(PLAYBOOK)
    patched["models"]["credit"]["monitors"] = {"numeric_drift": {"persistence": 1}}
    added = [
        line[1:]
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]
    assert added == ["    monitors:", "      numeric_drift:", "        persistence: 1"]


def test_no_suggestion_when_earlier_settings_cost_too_many_false_alarms() -> None:
    noisy = [0.08, 0.08, 0.02] * 200  # two hours in three over x0.5 and x0.75
    rows = backtest_thresholds(
        [0.05, 0.08, 0.08, 0.11, 0.12],
        noisy,
        threshold=0.1,
        persistence=2,
        window_s=3600,
        factors=(0.5, 0.75, 1.0),
        persistences=(2,),
    )
    assert suggest_setting(rows) is None


def test_html_escapes_markdown_and_puts_the_chart_in_place() -> None:
    markdown = f"# Post-mortem <b>RL</b>\n\n## Data\n\n{CHART_PLACEHOLDER}\n\n- a `<script>` item\n"
    content = {
        "incident": "RL-2026-0001",
        "chart": {
            "column": "x<y",
            "points": [
                {"start": "2026-01-01T00:00:00+00:00", "value": 0.05, "threshold": 0.1},
                {"start": "2026-01-01T01:00:00+00:00", "value": 0.3, "threshold": 0.1},
            ],
            "marks": [{"at": "2026-01-01T01:00:00+00:00", "label": "opened"}],
        },
    }
    html = render_postmortem_html(markdown, content)
    assert "<h1>Post-mortem &lt;b&gt;RL&lt;/b&gt;</h1>" in html
    assert "<li>a <code>&lt;script&gt;</code> item</li>" in html
    assert "<script" not in html
    assert html.index("<h2>Data</h2>") < html.index("<svg") < html.index("<ul>")
    assert "x&lt;y" in html
    assert ">detected</text>" in html  # the legend names the phase the "opened" event starts


def test_the_chart_has_a_time_axis_a_legend_and_each_phase_once_in_order() -> None:
    at = "2026-01-01T00:{:02d}:00+00:00".format
    marks = [("opened", 3), ("declared", 3), ("action", 3), ("contained", 5), ("resolved", 9)]
    chart = {
        "column": "temp",
        "points": [{"start": at(m), "value": 0.1 * m, "threshold": 0.3} for m in range(10)],
        "marks": [{"at": at(m), "label": label} for label, m in marks],
    }
    svg = drift_chart_svg(chart)
    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', svg)
    assert ticks == ["00:00", "00:02", "00:04", "00:06", "00:08"]
    legend = re.findall(r"<text[^>]*>([^<]+)</text>", svg.split('<g class="legend">')[1])
    assert legend[:6] == [
        "temp (window statistic)",
        "threshold",
        "detected",
        "declared",
        "contained",
        "resolved",
    ]
    phases = re.findall(r'<line class="phase"[^>]*><title>(\w+) ', svg)
    assert phases == ["detected", "declared", "contained", "resolved"]
    assert "time (UTC)" in svg


def test_a_chart_of_one_window_still_has_a_readable_time_axis() -> None:
    chart = {"points": [{"start": "2026-01-01T00:00:30+00:00", "value": 1.0, "threshold": 0.5}]}
    ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', drift_chart_svg(chart))
    assert len(ticks) >= 2
