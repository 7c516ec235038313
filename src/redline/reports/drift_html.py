"""A drift report as one self-contained HTML page: summary, all columns, charts of drifted ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from redline.reports.gate_text import (
    finding_detail,
    finding_phrase,
    gate_findings_of,
    gate_summary,
)
from redline.reports.summary import drift_summary, format_share, format_value
from redline.reports.svg_bars import histogram_svg

__all__ = ["render_drift_html"]

_STYLE = """
body { font-family: system-ui, sans-serif; color: #222; margin: 0; background: #f6f7f9; }
main { max-width: 960px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; }
h2 { font-size: 1.15rem; margin: 32px 0 8px; }
.summary { font-size: 1.05rem; font-weight: 600; }
.summary.drift, td.drift, .marker.drift { color: #c0392b; }
.summary.ok, .marker.ok { color: #2e7d32; }
.summary.warn, .marker.warn { color: #9a6700; }
.meta, .note { color: #666; font-size: 0.85rem; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: 8px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e3e6ea; font-size: 0.9rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
section.column { background: #fff; padding: 8px 16px 16px; border-radius: 6px; margin: 16px 0; }
code { font-size: 0.85rem; }
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _num(value: Any) -> str:
    return f'<td class="num">{_e(format_value(value))}</td>'


def _table(headers: Sequence[str], rows: Sequence[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _columns(report: Mapping[str, Any]) -> str:
    rows = []
    for i, col in enumerate(report.get("columns") or []):
        drifted = bool(col.get("drifted"))
        name = _e(col.get("name"))
        cell = f'<a href="#column-{i}">{name}</a>' if drifted else name
        marker = (
            '<td class="marker drift">drift</td>' if drifted else '<td class="marker ok">ok</td>'
        )
        if col.get("tested") is False:
            marker = '<td class="marker warn">not tested</td>'
        rows.append(
            f'<tr><td class="{"drift" if drifted else ""}">{cell}</td>'
            f"<td>{_e(col.get('kind'))}</td><td>{_e(col.get('role'))}</td>"
            f"<td>{_e(col.get('statistic'))}</td>{_num(col.get('value'))}"
            f'{_num(col.get("threshold"))}{marker}<td class="note">{_e(col.get("note") or "")}</td></tr>'
        )
    headers = ["column", "kind", "role", "statistic", "value", "threshold", "drifted", "note"]
    return "<h2>Columns</h2>" + _table(headers, rows)


def _integrity(report: Mapping[str, Any]) -> str:
    findings = gate_findings_of(report)
    if not findings:
        return ""
    rows = [
        f'<tr><td class="marker {"drift" if f.get("fails") else "warn"}">'
        f"{'fail' if f.get('fails') else 'warn'}</td><td>{_e(finding_phrase(f))}</td>"
        f"<td>{_e(f.get('statistic'))}</td>{_num(f.get('value'))}{_num(f.get('threshold'))}"
        f'<td class="note">{_e(finding_detail(f))}</td></tr>'
        for f in findings
    ]
    headers = ["gate", "finding", "statistic", "value", "threshold", "detail"]
    return "<h2>Integrity findings</h2>" + _table(headers, rows)


def _gate_summary(report: Mapping[str, Any]) -> str:
    line = gate_summary(report)
    if line is None:
        return ""
    failed = any(f.get("fails") for f in gate_findings_of(report))
    return f'<p class="summary {"drift" if failed else "warn"}">{_e(line)}</p>'


def _moves(col: Mapping[str, Any]) -> str:
    rows = [
        f'<tr><td>{_e(m.get("bin"))}</td><td class="num">{format_share(m.get("reference"))}</td>'
        f'<td class="num">{format_share(m.get("current"))}</td></tr>'
        for m in col.get("top_moves") or []
    ]
    return _table(["largest moves", "reference", "current"], rows) if rows else ""


def _column_section(index: int, col: Mapping[str, Any]) -> str:
    name = _e(col.get("name"))
    stats = ", ".join(
        f"{_e(key)} {_e(format_value(value))}"
        for key, value in (col.get("statistics") or {}).items()
    )
    histogram = col.get("histogram")
    chart = (
        histogram_svg(histogram, title=f"{col.get('name')}: reference vs current shares")
        if isinstance(histogram, Mapping)
        else '<p class="note">No histogram in this report.</p>'
    )
    return (
        f'<section class="column" id="column-{index}"><h2>{name}</h2>'
        f"<p>{_e(col.get('kind'))} {_e(col.get('role'))}: "
        f"<strong>{_e(col.get('statistic'))} {_e(format_value(col.get('value')))}</strong> "
        f"over threshold {_e(format_value(col.get('threshold')))}</p>"
        f'<p class="note">{stats}</p>{chart}{_moves(col)}</section>'
    )


def _notes(report: Mapping[str, Any]) -> str:
    notes = [f"<li>{_e(note)}</li>" for note in report.get("notes") or []]
    return f'<ul class="note">{"".join(notes)}</ul>' if notes else ""


def render_drift_html(report_dict: Mapping[str, Any]) -> str:
    """One HTML page for a ``DriftReport.to_dict()``: no scripts, no external assets."""
    columns = report_dict.get("columns") or []
    drifted = any(col.get("drifted") for col in columns)
    sections = [_column_section(i, col) for i, col in enumerate(columns) if col.get("drifted")]
    ref_hash = str(report_dict.get("reference_hash") or "")
    untested = any(col.get("tested") is False for col in columns)
    summary_class = "drift" if drifted else "warn" if untested else "ok"
    body = (
        "<h1>redline drift report</h1>"
        f'<p class="summary {summary_class}">{_e(drift_summary(report_dict))}</p>'
        f"{_gate_summary(report_dict)}"
        f'<p class="meta">reference <code>{_e(ref_hash[:12])}</code></p>'
        f"{_columns(report_dict)}{_integrity(report_dict)}{''.join(sections)}{_notes(report_dict)}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>redline drift report</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )
