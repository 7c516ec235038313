"""Console plumbing shared by every command: exit codes, one-line errors, text output."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import typer
from rich.console import Console, RenderableType
from rich.text import Text

__all__ = [
    "EXIT_DRIFT",
    "EXIT_ERROR",
    "EXIT_INTEGRITY",
    "EXIT_OK",
    "command_group",
    "emit",
    "print_error",
    "render_plain",
    "stderr_console",
    "stdout_console",
]

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_ERROR = 2
#: ``redline check``: the data itself is broken (zero rows, missing columns, an integrity breach).
EXIT_INTEGRITY = 3
_PIPE_WIDTH = 120


def stdout_console() -> Console:
    """A console on stdout; 120 columns wide when piped and ``COLUMNS`` is unset."""
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=_PIPE_WIDTH)
    return console


def stderr_console() -> Console:
    """A console on stderr, for errors and status lines that must not mix with output."""
    return Console(stderr=True, soft_wrap=True)


def print_error(message: str) -> None:
    """Print ``message`` as one red line on stderr (whitespace and newlines collapsed)."""
    line = Text("Error: ", style="bold red") + Text(" ".join(message.split()), style="red")
    stderr_console().print(line)


def render_plain(renderables: list[RenderableType]) -> str:
    """Render Rich objects to plain text (no colour codes), as written to files."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=_PIPE_WIDTH, color_system=None, force_terminal=False)
    for item in renderables:
        console.print(item)
    return buffer.getvalue()


def emit(text: str, output: Path | None, *, note: str | None = None) -> None:
    """Write ``text`` to ``output`` as UTF-8 (then ``note`` on stderr), or to stdout."""
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    if note is not None:
        typer.echo(note, err=True)


def command_group(help_text: str) -> typer.Typer:
    """A command group that prints its help when called without a subcommand."""
    group = typer.Typer(help=help_text, invoke_without_command=True)

    @group.callback()
    def show_help(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            typer.echo(ctx.get_help())

    return group
