"""``redline audit verify``: check every incident timeline and the audit log against their hashes."""

from __future__ import annotations

import typer
from rich.text import Text

from redline.cli.console import EXIT_DRIFT, stdout_console
from redline.cli.options import JsonOption, StoreOption, opened_store, print_json

__all__ = ["app", "verify_command"]

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


@app.command("verify")
def verify_command(as_json: JsonOption = False, store: StoreOption = None) -> None:
    """Verify every chain; exit 0 when intact, 1 naming the first broken entry of each."""
    from redline.services.integrity import verify_chains

    with opened_store(store) as opened:
        report = verify_chains(opened)
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
