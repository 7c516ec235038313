"""``redline check``: compare current data with a reference and report drift per column."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from redline.cli.console import (
    EXIT_DRIFT,
    EXIT_INTEGRITY,
    emit,
    render_plain,
    stderr_console,
    stdout_console,
)
from redline.cli.drift_table import drift_renderables
from redline.reports import drift_summary, gate_summary, render_drift_html

__all__ = ["ReportFormat", "check_command"]


class ReportFormat(StrEnum):
    """How ``redline check`` prints its report."""

    TABLE = "table"
    JSON = "json"
    HTML = "html"


def _as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, allow_nan=False) + "\n"


def _as_table_text(report: dict[str, Any]) -> str:
    return render_plain(drift_renderables(report))


_RENDERERS: dict[ReportFormat, Callable[[dict[str, Any]], str]] = {
    ReportFormat.TABLE: _as_table_text,
    ReportFormat.JSON: _as_json,
    ReportFormat.HTML: render_drift_html,
}


def _write(report: dict[str, Any], output_format: ReportFormat, output: Path | None) -> None:
    if output_format is ReportFormat.TABLE and output is None:
        console = stdout_console()
        for item in drift_renderables(report):
            console.print(item)
        return
    emit(_RENDERERS[output_format](report), output)
    if output is not None:
        status = f"Wrote {output_format.value} report to {output}. {drift_summary(report)}"
        stderr_console().print(Text(status))
    if output is not None or output_format is not ReportFormat.TABLE:
        gate = gate_summary(report)
        if gate is not None:  # a CI log shows why the gate failed whatever the format
            stderr_console().print(Text(gate))


def _exit_code(integrity_failed: bool, drifted: bool) -> int:
    """3 for broken data (it takes precedence: drift on broken data means little), 1 for drift."""
    if integrity_failed:
        return EXIT_INTEGRITY
    return EXIT_DRIFT if drifted else 0


def check_command(
    reference: Annotated[
        Path,
        typer.Option(
            "--reference",
            "-r",
            help="A saved reference (.json, from 'redline reference fit') or reference data "
            "(.csv or .parquet, fitted on the fly).",
            show_default=False,
        ),
    ],
    current: Annotated[
        Path,
        typer.Option(
            "--current", "-c", help="Current data (.csv or .parquet).", show_default=False
        ),
    ],
    output_format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Report format.")
    ] = ReportFormat.TABLE,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the report to this file instead of stdout.",
            dir_okay=False,
        ),
    ] = None,
    exit_zero: Annotated[
        bool,
        typer.Option(
            "--exit-zero",
            help="Exit 0 even when drift or broken data is found (errors still exit 2).",
        ),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="A column the reference does not know fails the check too."),
    ] = False,
) -> None:
    """Compare current data with a reference. Exit 0 when clean, 1 when a column drifted,
    2 on error, 3 when the data is broken (zero rows, a missing column, unparseable values,
    a null jump, out-of-range values); 3 wins over 1."""
    # Imported here so that `redline --help` and `--version` do not load numpy and pandas.
    from redline.monitors.report import check

    report = check(reference, current, strict=strict)
    _write(report.to_dict(), output_format, output)
    code = _exit_code(report.integrity_failed, report.drifted)
    if code and not exit_zero:
        raise typer.Exit(code)
