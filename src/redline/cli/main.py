"""The ``redline`` entry point: the Typer app, ``--version``, and one-line error reporting."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from redline import __version__
from redline.cli import (
    actions,
    audit,
    canary,
    db,
    export,
    incidents,
    llm,
    models,
    playbook,
    postmortem,
    redteam,
    reference,
    review,
    routes,
    snapshots,
)
from redline.cli.check import check_command
from redline.cli.console import EXIT_ERROR, EXIT_OK, print_error
from redline.cli.demo import demo_command
from redline.cli.example import example_command
from redline.cli.gateway import gateway_command
from redline.cli.serve import serve_command
from redline.cli.tokens import app as tokens_app
from redline.cli.triage import blame_command, triage_command
from redline.cli.worker import worker_command
from redline.errors import RedlineError

__all__ = ["OneLineErrorGroup", "app", "run"]


def _error_message(exc: BaseException) -> str:
    if isinstance(exc, typer.TyperException):
        command_path = getattr(getattr(exc, "ctx", None), "command_path", None)
        hint = f" (see '{command_path} --help')" if isinstance(command_path, str) else ""
        return exc.format_message() + hint
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, typer.Abort):
        return "aborted"
    return str(exc)


class OneLineErrorGroup(TyperGroup):
    """A Typer group that reports usage and redline errors as one red line and exits 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; in standalone mode, turn known errors into exit code 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        # Usage errors, data/reference errors and unwritable outputs are the user's to fix:
        # one line, no traceback. Anything else is a bug and keeps its traceback.
        except (typer.TyperException, typer.Abort, RedlineError, OSError) as exc:
            print_error(_error_message(exc))
            code = EXIT_ERROR
        sys.exit(code if isinstance(code, int) else EXIT_OK)


app = typer.Typer(
    name="redline",
    cls=OneLineErrorGroup,
    help="Drift detection and incident response for ML systems in production.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command("check")(check_command)
app.command("example")(example_command)
app.command("demo")(demo_command)
app.command("serve")(serve_command)
app.command("gateway")(gateway_command)
app.command("triage")(triage_command)
app.command("blame")(blame_command)
app.command("worker")(worker_command)
app.add_typer(reference.app, name="reference")
app.add_typer(playbook.app, name="playbook")
app.add_typer(incidents.app, name="incidents")
app.add_typer(actions.app, name="actions")
app.add_typer(routes.app, name="routes")
app.add_typer(audit.app, name="audit")
app.add_typer(db.app, name="db")
app.add_typer(models.app, name="models")
app.add_typer(review.app, name="review")
app.add_typer(tokens_app, name="tokens")
app.add_typer(snapshots.app, name="snapshot")
app.add_typer(postmortem.app, name="postmortem")
app.add_typer(export.app, name="export")
app.add_typer(llm.app, name="llm")
app.add_typer(canary.app, name="canary")
app.add_typer(redteam.app, name="redteam")
app.command("replay")(snapshots.replay_command)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"redline {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the redline version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Drift detection and incident response for ML systems in production."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def run() -> None:
    """Console-script entry point (``[project.scripts] redline``)."""
    app()
