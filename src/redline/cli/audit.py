"""``redline audit verify``: check every incident timeline and the audit log against their hashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from redline.cli.console import EXIT_DRIFT, EXIT_ERROR, emit, print_error, stdout_console
from redline.cli.options import JsonOption, OutputOption, StoreOption, opened_store, print_json

if TYPE_CHECKING:
    from redline.domain.chain_head import ChainHead

__all__ = ["app", "head_command", "verify_command"]

KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="A file holding the HMAC key for chain heads; keep it outside the database.",
        show_default=False,
    ),
]
HeadOption = Annotated[
    Path | None,
    typer.Option(
        "--head",
        help="A head written by `redline audit head`: every chain must still extend it.",
        show_default=False,
    ),
]

app = typer.Typer(
    help="Check the hash chains: every incident timeline and the audit log.",
    invoke_without_command=True,
)


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


@app.callback()
def audit_group(ctx: typer.Context) -> None:
    """Check the hash chains: every incident timeline and the audit log."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _read_key(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        print_error(f"cannot read the key file {path}: {exc.strerror}")
        raise typer.Exit(EXIT_ERROR) from None
    if len(key) < 16:
        print_error(f"the key in {path} is {len(key)} bytes; use at least 16 random bytes")
        raise typer.Exit(EXIT_ERROR)
    return key


def _read_head(path: Path | None) -> ChainHead | None:
    from redline.domain.chain_head import ChainHead, ChainHeadError

    if path is None:
        return None
    try:
        return ChainHead.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        print_error(f"cannot read the head {path}: {exc.strerror}")
    except (ValueError, ChainHeadError) as exc:
        print_error(f"{path} is not a chain head: {exc}")
    raise typer.Exit(EXIT_ERROR)


@app.command("head")
def head_command(
    key_file: KeyFileOption = None, output: OutputOption = None, store: StoreOption = None
) -> None:
    """Write the length and last hash of every chain, to keep outside the database."""
    from redline.services.integrity import take_chain_head

    key = _read_key(key_file)
    with opened_store(store, read_only=True) as opened:
        head = take_chain_head(opened, key=key)
    text = json.dumps(head.to_dict(), indent=2) + "\n"
    emit(text, output, note=f"chain head {head.digest()[:16]}… written to {output}")


@app.command("verify")
def verify_command(
    as_json: JsonOption = False,
    head: HeadOption = None,
    key_file: KeyFileOption = None,
    store: StoreOption = None,
) -> None:
    """Verify every chain; exit 0 when intact, 1 naming the first broken entry of each."""
    from redline.services.integrity import verify_chains

    recorded, key = _read_head(head), _read_key(key_file)
    if key is not None and recorded is None:
        print_error("--key-file checks a recorded head's MAC: give the head with --head")
        raise typer.Exit(EXIT_ERROR)
    with opened_store(store, read_only=True) as opened:
        report = verify_chains(opened, head=recorded, key=key)
    if as_json:
        print_json(report.to_dict())
    else:
        console = stdout_console()
        for chain_break in report.breaks:
            console.print(Text(f"✗ {chain_break.describe()}", style="bold red"))
        read = (
            f"{_count(report.timelines, 'incident timeline')} "
            f"({_count(report.timeline_entries, 'event')}) "
            f"and {_count(report.audit_entries, 'audit entry', 'audit entries')}"
        )
        if report.intact:
            console.print(Text(f"✓ intact: {read}", style="green"))
        else:
            broken = _count(len(report.breaks), "broken chain")
            console.print(Text(f"{broken} in {read}", style="red"))
    if not report.intact:
        raise typer.Exit(EXIT_DRIFT)
