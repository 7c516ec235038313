"""``redline playbook validate|explain``: check a playbook file, and read it back in words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markdown import Markdown
from rich.text import Text

from redline.cli.console import EXIT_ERROR, emit, print_error, stderr_console, stdout_console

if TYPE_CHECKING:
    from redline.playbook import Playbook

__all__ = ["app", "explain_command", "playbook_group", "validate_command"]

app = typer.Typer(
    help="Check a playbook (redline.yaml), or explain what it does at each severity.",
    invoke_without_command=True,
)

PlaybookPath = Annotated[
    Path, typer.Argument(help="The playbook file (redline.yaml).", show_default=False)
]


def _load(path: Path) -> Playbook:
    """The validated playbook; on problems, print each as one red line and exit 2."""
    # Imported here so that `redline --help` does not load the monitors (numpy, scipy).
    from redline.playbook import PlaybookError, load_playbook

    try:
        return load_playbook(path)
    except PlaybookError as exc:
        for problem in exc.problems:
            print_error(str(problem))
        count = len(exc.problems)
        stderr_console().print(
            Text(f"{count} problem{'s' if count != 1 else ''} in {path}", style="red")
        )
        raise typer.Exit(EXIT_ERROR) from None


@app.callback()
def playbook_group(ctx: typer.Context) -> None:
    """Check a playbook (redline.yaml), or explain what it does at each severity."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


@app.command("validate")
def validate_command(path: PlaybookPath) -> None:
    """Check PATH; print 'ok: N models', or every problem with its line and column (exit 2)."""
    playbook = _load(path)
    count = len(playbook.models)
    typer.echo(f"ok: {count} model{'s' if count != 1 else ''}")


@app.command("explain")
def explain_command(
    path: PlaybookPath,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the Markdown to this file.", dir_okay=False),
    ] = None,
) -> None:
    """Explain PATH as Markdown: what is watched, what fires, what happens, who is paged."""
    from redline.playbook import explain

    text = explain(_load(path))
    console = stdout_console()
    if output is None and console.is_terminal:
        console.print(Markdown(text))
        return
    emit(text, output)
    if output is not None:
        stderr_console().print(Text(f"Wrote the explained playbook to {output}"))
