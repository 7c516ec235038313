"""``redline triage KEY`` and ``redline blame KEY``: an incident's first diagnosis and its data
blame (when the shift began, what it touched, the decisions served in the impact window)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from redline.cli.console import stderr_console, stdout_console
from redline.cli.options import (
    IncidentKeyArgument,
    JsonOption,
    StoreOption,
    format_time,
    opened_store,
    print_json,
)

if TYPE_CHECKING:
    from redline.services.data_blame import BlameView
    from redline.services.triage_reports import TriageReportView

__all__ = ["blame_command", "triage_command"]

ExportOption = Annotated[
    Path | None,
    typer.Option(
        "--export",
        help="Write the decisions served in the impact window to this .csv or .parquet file.",
        show_default=False,
    ),
]


def _ranked(title: str, rows: list[dict[str, Any]], columns: dict[str, str]) -> Table:
    table = Table(title=title, title_justify="left")
    for header in columns.values():
        table.add_column(header)
    for row in rows[:8]:
        table.add_row(*(_cell(row.get(key)) for key in columns))
    return table


def _cell(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _isolation(isolation: dict[str, Any]) -> list[RenderableType]:
    out: list[RenderableType] = [Text(f"Input isolation: {isolation['basis']}")]
    share = {"feature": "feature", "share": "share of drift", "js_distance": "JS distance"}
    out.append(_ranked("Features", isolation["features"], share))
    loo = {"name": "name", "rows": "rows", "share": "share", "shrinkage": "drift shrinks by"}
    for title in ("sources", "segments"):
        if isolation[title]:
            out.append(_ranked(title.capitalize() + " (leave one out)", isolation[title], loo))
    out.append(Text(isolation["leave_one_out_basis"], style="dim"))
    return out


def _report_page(view: TriageReportView) -> Group:
    report = view.report
    cause = report["likely_cause"]
    head = Text.assemble(
        (f"{view.incident} ", "bold"),
        (f"likely cause: {view.likely_cause} ", "bold red"),
        f"(confidence {view.confidence:.2f}, rule {cause['rule']}; report {view.reports} ",
        f"at {format_time(view.created_at)})",
    )
    evidence = Text("Evidence: " + ("; ".join(cause["evidence"]) or "none"))
    checks = report["pipeline_checks"]
    pipeline = Text(f"Pipeline checks: {checks['breaches']} breach(es) {checks['by_kind']}")
    stats = report["statistical_forensics"]
    ood, conf = stats["out_of_distribution"], stats["confidence"]
    shift = conf["mean_shift_sd"]
    moved = "no confidence or score column" if shift is None else f"{shift:+.2f} sd"
    forensic = Text(
        f"Out-of-distribution rate: {ood['rate']:.3f} (excess {ood['excess_rate']:.3f} in "
        f"{ood['feature'] or '—'}); confidence shift: {moved}"
    )
    parts = [head, evidence, pipeline, forensic, *_isolation(report["input_isolation"])]
    return Group(*parts)


def triage_command(
    key: IncidentKeyArgument, as_json: JsonOption = False, store: StoreOption = None
) -> None:
    """Show an incident's latest triage report: likely cause, evidence, input isolation."""
    from redline.services.triage_reports import get_triage_report

    with opened_store(store) as opened:
        view = get_triage_report(opened, key=key)
    if as_json:
        print_json(view.to_dict())
        return
    stdout_console().print(_report_page(view))


def _blame_page(view: BlameView) -> Group:
    shift = view.shift
    first = shift.get("first_affected_window") or {}
    versions = view.data_versions
    lines: list[RenderableType] = [
        Text(f"{view.incident} data blame ({view.model})", style="bold"),
        Text(
            f"Shift began: window {shift.get('onset')} ({first.get('start', '—')}); "
            f"first affected window {first.get('window_id', '—')}"
        ),
        Text(f"Impact window: {format_time(view.impact_start)} – {format_time(view.impact_end)}"),
        Text(
            f"Decisions served by {view.suspect_version or 'the primary route'}: "
            f"{view.decisions_served}"
        ),
        Text(
            f"Training data: {versions['suspect_training_data'] or 'not registered'} (suspect) "
            f"vs {versions['current_training_data'] or 'not registered'} (now); reference "
            f"{(versions['windows_reference_hash'] or '—')[:12]}"
        ),
    ]
    if "isolation" in shift:
        lines.extend(_isolation(shift["isolation"]))
    else:
        lines.append(Text(shift.get("reason", ""), style="dim"))
    return Group(*lines)


def _format(path: Path) -> Literal["csv", "parquet"]:
    formats: dict[str, Literal["csv", "parquet"]] = {".csv": "csv", ".parquet": "parquet"}
    found = formats.get(path.suffix.lower())
    if found is None:
        raise typer.BadParameter(f"{path} must end in .csv or .parquet", param_hint="--export")
    return found


def blame_command(
    key: IncidentKeyArgument,
    as_json: JsonOption = False,
    export: ExportOption = None,
    store: StoreOption = None,
) -> None:
    """When an incident's shift began, what it touched, and the decisions served meanwhile."""
    from redline.services.data_blame import blame, export_impacted_decisions

    with opened_store(store) as opened:
        view = blame(opened, key=key)
        if export is not None:
            n = export_impacted_decisions(opened, key=key, path=export, format=_format(export))
            stderr_console().print(f"wrote {n} decisions to {export}")
    if as_json:
        print_json(view.to_dict())
        return
    stdout_console().print(_blame_page(view))
