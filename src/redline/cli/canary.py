"""``redline canary new|list``: make canary tokens to plant, and record where each one is.

A token goes into a system prompt, a RAG document or fine-tuning data; the playbook's
``leak_canaries:`` section keeps token → place, and an LLMGuard given the playbook names the
place in the ``canary_leak`` evidence when the token comes out of the model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from redline.cli.console import EXIT_ERROR, command_group, print_error, stdout_console

if TYPE_CHECKING:
    from redline.playbook import Playbook

__all__ = ["app", "list_command", "new_command"]

app = command_group("Make canary tokens to plant, and list where each one is planted.")

PlaybookOption = Annotated[
    Path,
    typer.Option(
        "--playbook",
        help="The playbook whose leak_canaries: section records the canaries.",
        envvar="REDLINE_PLAYBOOK",
    ),
]


def _problems(exc: Exception) -> typer.Exit:
    """Print a playbook's problems one per line; the exit to raise."""
    for problem in getattr(exc, "problems", [exc]):
        print_error(str(problem))
    return typer.Exit(EXIT_ERROR)


def _load(path: Path) -> Playbook:
    from redline.playbook import PlaybookError, load_playbook

    try:
        return load_playbook(path)
    except PlaybookError as exc:
        raise _problems(exc) from None


@app.command("new")
def new_command(
    where: Annotated[
        str, typer.Option("--where", help="Where the token is planted (system prompt, doc id…).")
    ],
    playbook: PlaybookOption = Path("redline.yaml"),
) -> None:
    """Print a new RL-CANARY token and record where it is planted in the playbook."""
    from redline.playbook import PlaybookError
    from redline.playbook.leak_canaries import with_leak_canary
    from redline.scanners.canary import new_canary

    try:
        token = new_canary(where.strip())
        text = playbook.read_text(encoding="utf-8")
        updated, _ = with_leak_canary(text, token, where.strip(), source=str(playbook))
    except (OSError, ValueError) as exc:
        if isinstance(exc, PlaybookError):
            raise _problems(exc) from None
        print_error(f"{exc}" if isinstance(exc, ValueError) else f"cannot read {playbook}: {exc}")
        raise typer.Exit(EXIT_ERROR) from None
    partial = playbook.with_name(f".{playbook.name}.canary")
    partial.write_text(updated, encoding="utf-8")
    os.replace(partial, playbook)  # whole or not at all: the playbook is never half written
    typer.echo(token)
    typer.echo(f"Recorded in {playbook} (leak_canaries): planted in {where.strip()}", err=True)


@app.command("list")
def list_command(
    playbook: PlaybookOption = Path("redline.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the playbook's canary tokens and where each one is planted."""
    canaries = _load(playbook).leak_canaries
    if as_json:
        for token, where in canaries.items():
            typer.echo(json.dumps({"token": token, "where": where}, ensure_ascii=False))
        return
    table = Table("Token", "Planted in", title=f"Leak canaries in {playbook}")
    for token, where in canaries.items():
        table.add_row(token, where)
    stdout_console().print(table)
