"""``redline reference fit|show``: build a reference file from data, and describe one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from redline.cli.console import stderr_console, stdout_console
from redline.reports import format_share

if TYPE_CHECKING:
    from redline.profiles.reference import Reference
    from redline.profiles.specs import ColumnSpec

__all__ = ["app", "fit", "reference_group", "show"]

app = typer.Typer(
    help="Fit a reference profile from training data, or describe a saved one.",
    invoke_without_command=True,
)

_REFERENCE_SUFFIXES = (".json", ".redline")


def _profile(spec: ColumnSpec) -> str:
    from redline.profiles.specs import CategoricalSpec

    if isinstance(spec, CategoricalSpec):
        top = ", ".join(spec.vocab[:3]) + (", ..." if len(spec.vocab) > 3 else "")
        return f"{len(spec.vocab)} categories: {top}"
    return f"{spec.edges.size + 1} bins, mean {spec.mean:.4g}, sd {spec.std:.4g}"


def _columns_table(ref: Reference) -> Table:
    table = Table(title="Columns", title_justify="left")
    for header in ("column", "kind", "role", "null share", "profile"):
        table.add_column(header, overflow="fold")
    for spec in ref.columns.values():
        table.add_row(
            Text(spec.name),
            Text(spec.kind.value),
            Text(spec.role.value),
            Text(format_share(spec.null_share)),
            Text(_profile(spec)),
        )
    return table


def _summary(ref: Reference) -> Text:
    sizes = ", ".join(str(w) for w in ref.window_sizes)
    return Text(
        f"{len(ref.columns)} columns fitted on {ref.n_rows:,} rows at {ref.created_at}; "
        f"alpha {ref.alpha}, window sizes {sizes}; sha256 {ref.content_hash[:12]}"
    )


def _notes(ref: Reference) -> list[Text]:
    """What the fit inferred that a user may want to override, then what it left out."""
    reason = ref.performance.get("task_reason") if ref.performance else None
    notes = [Text(f"Performance task: {reason}")] if reason else []
    notes += [
        Text(f"Ignored column {name!r}: {why}", style="yellow") for name, why in ref.ignored.items()
    ]
    return notes


@app.callback()
def reference_group(ctx: typer.Context) -> None:
    """Fit a reference profile from training data, or describe a saved one."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


@app.command("fit")
def fit(
    data: Annotated[
        Path, typer.Argument(help="Training data (.csv or .parquet).", show_default=False)
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write the reference (.json).", show_default=False
        ),
    ],
    target: Annotated[
        str | None, typer.Option("--target", help="The label column (profiled, not watched).")
    ] = None,
    prediction: Annotated[
        str | None, typer.Option("--prediction", help="The model's prediction column.")
    ] = None,
    confidence: Annotated[
        str | None, typer.Option("--confidence", help="The model's confidence column.")
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(
            "--task",
            help="classification or regression; inferred from the target when not given.",
        ),
    ] = None,
) -> None:
    """Fit a reference profile on DATA and save it as one JSON file."""
    if output.suffix not in _REFERENCE_SUFFIXES:
        raise typer.BadParameter(
            f"{output}: a reference file must end in .json", param_hint="'--output'"
        )
    from redline.profiles.fit import fit_reference
    from redline.profiles.performance import TASKS

    if task is not None and task not in TASKS:
        raise typer.BadParameter(
            f"use one of {', '.join(TASKS)}, not {task!r}", param_hint="'--task'"
        )
    ref = fit_reference(
        data, target=target, prediction=prediction, confidence=confidence, task=task
    )
    ref.save(output)
    stderr_console().print(Text(f"Wrote reference {output}: ") + _summary(ref))
    for note in _notes(ref):
        stderr_console().print(note)


@app.command("show")
def show(
    path: Annotated[Path, typer.Argument(help="A saved reference file.", show_default=False)],
) -> None:
    """Describe a saved reference: its columns, kinds, roles and thresholds."""
    from redline.profiles.reference import load_reference

    ref = load_reference(path)
    console = stdout_console()
    console.print(_summary(ref))
    console.print(_columns_table(ref))
    for note in _notes(ref):
        console.print(note)
