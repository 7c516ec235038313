"""``redline db upgrade|current``: migrate the store's schema, or say which migration it is at."""

from __future__ import annotations

import typer

from redline.cli.options import StoreOption, opened_store

__all__ = ["app", "current_command", "upgrade_command"]

app = typer.Typer(
    help="Migrate the store's database schema, or show which migration it is at.",
    invoke_without_command=True,
)


@app.callback()
def db_group(ctx: typer.Context) -> None:
    """Migrate the store's database schema, or show which migration it is at."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


@app.command("upgrade")
def upgrade_command(store: StoreOption = None) -> None:
    """Migrate the store to the newest schema (safe to repeat)."""
    from redline.services.views import get_schema_status

    with opened_store(store) as opened:  # opening migrates
        status = get_schema_status(opened)
    typer.echo(f"{status.store}: at migration {status.revision}")


@app.command("current")
def current_command(store: StoreOption = None) -> None:
    """Print the migration the store is at, without changing it."""
    from redline.services.views import get_schema_status

    with opened_store(store, migrate=False) as opened:
        status = get_schema_status(opened)
    if status.revision is None:
        typer.echo(f"{status.store}: not migrated (run `redline db upgrade`)")
    else:
        typer.echo(f"{status.store}: at migration {status.revision}")
