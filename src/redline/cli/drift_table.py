"""A drift report dict as Rich tables: one row per column, a summary line, integrity findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from redline.reports import (
    drift_summary,
    finding_detail,
    finding_phrase,
    format_share,
    format_value,
    gate_findings_of,
    gate_summary,
)

__all__ = ["drift_renderables"]


def _largest_move(col: Mapping[str, Any]) -> Text:
    moves = col.get("top_moves") or []
    if not col.get("drifted") or not moves:
        return Text("")
    top = moves[0]
    shares = f"{format_share(top.get('reference'))} -> {format_share(top.get('current'))}"
    return Text(f"{top.get('bin')}: {shares}", style="dim")


def _columns_table(report: Mapping[str, Any]) -> Table:
    table = Table(title="Drift by column", title_justify="left")
    for header in ("column", "kind", "statistic", "value", "threshold", "drifted", "largest move"):
        table.add_column(
            header,
            justify="right" if header in {"value", "threshold"} else "left",
            overflow="fold",
            no_wrap=header not in {"column", "largest move"},
        )
    for col in report.get("columns") or []:
        drifted = bool(col.get("drifted"))
        style = "bold red" if drifted else ""
        marker = Text("DRIFT", style="bold red") if drifted else Text("ok", style="green")
        if col.get("tested") is False:
            marker = Text("not tested", style="yellow")
        note = col.get("note")
        table.add_row(
            Text(str(col.get("name")), style=style),
            Text(str(col.get("kind"))),
            Text(str(col.get("statistic"))),
            Text(format_value(col.get("value")), style=style),
            Text(format_value(col.get("threshold"))),
            marker,
            Text(str(note), style="dim") if note else _largest_move(col),
        )
    return table


def _integrity_table(findings: list[Mapping[str, Any]]) -> Table:
    table = Table(title="Integrity findings", title_justify="left")
    for header in ("gate", "finding", "value", "threshold", "detail"):
        table.add_column(
            header,
            justify="right" if header in {"value", "threshold"} else "left",
            overflow="fold",
            no_wrap=header in {"gate", "value", "threshold"},
        )
    for finding in findings:
        fails = bool(finding.get("fails"))
        table.add_row(
            Text("FAIL", style="bold red") if fails else Text("warn", style="yellow"),
            Text(finding_phrase(finding)),
            Text(format_value(finding.get("value"))),
            Text(format_value(finding.get("threshold"))),
            Text(finding_detail(finding), style="dim"),
        )
    return table


def drift_renderables(report: Mapping[str, Any]) -> list[RenderableType]:
    """The column table, the summary lines and (when any) the integrity findings."""
    drifted = bool(report.get("drifted_columns"))
    untested = any(c.get("tested") is False for c in report.get("columns") or [])
    style = "bold red" if drifted else "bold yellow" if untested else "bold green"
    summary = Text(drift_summary(report), style=style)
    out: list[RenderableType] = [_columns_table(report), summary]
    findings = gate_findings_of(report)
    gate = gate_summary(report)
    if gate is not None:
        failed = any(f.get("fails") for f in findings)
        out.append(Text(gate, style="bold red" if failed else "yellow"))
    if findings:
        out.append(_integrity_table(findings))
    return out
