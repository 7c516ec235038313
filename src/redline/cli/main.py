"""The ``redline`` entry point: the Typer app, ``--version``, and one-line error reporting."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from redline import __version__
from redline.cli import reference
from redline.cli.check import check_command
from redline.cli.console import EXIT_ERROR, EXIT_OK, print_error
from redline.errors import RedlineError

__all__ = ["app", "run"]


def _os_message(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
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
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            code = EXIT_ERROR
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if isinstance(ctx, click.Context) else ""
            print_error(exc.format_message() + hint)
            code = EXIT_ERROR
        except click.Abort:
            print_error("aborted")
            code = EXIT_ERROR
        except RedlineError as exc:
            print_error(str(exc))
            code = EXIT_ERROR
        except OSError as exc:
            print_error(_os_message(exc))
            code = EXIT_ERROR
        sys.exit(code if isinstance(code, int) else EXIT_OK)


app = typer.Typer(
    name="redline",
    cls=OneLineErrorGroup,
    help="Drift detection and incident response for ML systems in production.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command("check")(check_command)
app.add_typer(reference.app, name="reference")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"redline {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
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


def run() -> None:
    """Console-script entry point (``[project.scripts] redline``)."""
    app()
