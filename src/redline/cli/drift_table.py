"""A drift report dict as Rich tables: one row per column, a summary line, integrity findings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from redline.reports import drift_summary, format_share, format_value

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


def _integrity_table(signals: list[Mapping[str, Any]]) -> Table:
    table = Table(title="Integrity findings", title_justify="left")
    for header in ("level", "finding", "column", "statistic", "value", "threshold"):
        table.add_column(header, justify="right" if header in {"value", "threshold"} else "left")
    for signal in signals:
        level = str(signal.get("level"))
        table.add_row(
            Text(level, style="red" if level in {"alarm", "critical"} else "yellow"),
            Text(str(signal.get("kind"))),
            Text(str(signal.get("column") or "")),
            Text(str(signal.get("statistic"))),
            Text(format_value(signal.get("value"))),
            Text(format_value(signal.get("threshold"))),
        )
    return table


def drift_renderables(report: Mapping[str, Any]) -> list[RenderableType]:
    """The column table, the summary line and (when any) the integrity findings."""
    drifted = bool(report.get("drifted_columns"))
    summary = Text(drift_summary(report), style="bold red" if drifted else "bold green")
    out: list[RenderableType] = [_columns_table(report), summary]
    signals = report.get("integrity") or []
    if signals:
        out.append(_integrity_table(signals))
    return out
