"""``redline tokens create|list|revoke``: API tokens for the REST API (stored as hashes)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from redline.cli.console import command_group, stderr_console, stdout_console
from redline.cli.options import (
    ActorOption,
    JsonOption,
    StoreOption,
    actor_name,
    format_time,
    opened_store,
    print_json,
)

if TYPE_CHECKING:
    from redline.services.tokens import ApiToken

__all__ = ["app", "create_command", "list_command", "revoke_command"]

ROLES = ("viewer", "responder", "admin")

app = command_group("Create, list and revoke API tokens (viewer, responder or admin).")


@app.command("create")
def create_command(
    name: Annotated[str, typer.Argument(help="Who or what uses the token.", show_default=False)],
    role: Annotated[
        str, typer.Option("--role", help="viewer (read), responder (act) or admin (manage).")
    ] = "viewer",
    as_json: JsonOption = False,
    actor: ActorOption = None,
    store: StoreOption = None,
) -> None:
    """Create a token and print it once: only its hash is stored."""
    from redline.services.tokens import create_token

    if role not in ROLES:
        raise typer.BadParameter(
            f"{role!r} is not one of {', '.join(ROLES)}", param_hint="'--role'"
        )
    with opened_store(store) as opened:
        plaintext, record = create_token(opened, name=name, role=role, actor=actor_name(actor))
    if as_json:
        print_json({"token": plaintext, "record": record.to_dict()})
        return
    typer.echo(plaintext)
    stderr_console().print(
        f"token {record.id} ({record.name}, {record.role.value}) created; "
        "copy it now: it is not shown again"
    )


@app.command("list")
def list_command(as_json: JsonOption = False, store: StoreOption = None) -> None:
    """List tokens (never their secrets), oldest first, revoked ones too."""
    from redline.services.tokens import list_tokens

    with opened_store(store, read_only=True) as opened:
        tokens = list_tokens(opened)
    if as_json:
        print_json([t.to_dict() for t in tokens])
        return
    stdout_console().print(_tokens_table(tokens))


def _tokens_table(tokens: list[ApiToken]) -> Table:
    table = Table(title=f"API tokens: {len(tokens)}", title_justify="left")
    for header in ("id", "name", "role", "created", "last used", "revoked"):
        table.add_column(header, overflow="fold")
    for t in tokens:
        style = "dim" if not t.active else ""
        table.add_row(
            Text(str(t.id), style=style),
            Text(t.name, style=style),
            Text(t.role.value, style=style),
            Text(format_time(t.created_at), style=style),
            Text(format_time(t.last_used_at), style=style),
            Text(format_time(t.revoked_at), style="red" if t.revoked_at else ""),
        )
    return table


@app.command("revoke")
def revoke_command(
    token_id: Annotated[int, typer.Argument(help="The token's id (see 'tokens list').")],
    actor: ActorOption = None,
    store: StoreOption = None,
) -> None:
    """Revoke a token for good; requests with it are refused from now on."""
    from redline.services.tokens import revoke_token

    with opened_store(store) as opened:
        token = revoke_token(opened, token_id=token_id, actor=actor_name(actor))
    typer.echo(f"revoked token {token.id} ({token.name}, {token.role.value})")
