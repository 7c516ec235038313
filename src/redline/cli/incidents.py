"""``redline incidents list|show|transition|ack|resolve|restore|close|reopen``: read and move
incidents."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.text import Text

from redline.cli.console import command_group, stderr_console, stdout_console
from redline.cli.incident_render import incident_page, incidents_table
from redline.cli.options import (
    ActorOption,
    IncidentKeyArgument,
    JsonOption,
    ModelFilterOption,
    StoreOption,
    actor_name,
    format_time,
    opened_store,
    print_json,
)
from redline.domain import IncidentEvent, IncidentStatus, Severity

__all__ = [
    "ack_command",
    "app",
    "list_command",
    "resolve_command",
    "restore_command",
    "severity_command",
    "show_command",
    "transition_command",
]

app = command_group(
    "List, show and move incidents (acknowledge, resolve, close, reopen, any event)."
)

ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why, as recorded on the timeline and in the audit log.")
]
AcceptOption = Annotated[
    str,
    typer.Option(
        "--accept-containment",
        metavar="REASON",
        help="Resolve with the containment kept as the new normal, for this reason (recorded).",
    ),
]


@app.command("list")
def list_command(
    model: ModelFilterOption = None,
    status: Annotated[
        list[IncidentStatus] | None,
        typer.Option("--status", help="Only these statuses (repeat the option for several)."),
    ] = None,
    severity: Annotated[Severity | None, typer.Option("--severity", help="Only this one.")] = None,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only open ones (triage to monitoring).")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.", min=1)] = 100,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List incidents, most recently detected first."""
    from redline.services.views import list_incident_views

    with opened_store(store, read_only=True) as opened:
        incidents = list_incident_views(
            opened,
            model=model,
            statuses=status or (),
            severity=severity,
            open_only=open_only,
            limit=limit,
        )
    if as_json:
        print_json([i.to_dict() for i in incidents])
    elif incidents:
        stdout_console().print(incidents_table(incidents))
    else:
        stderr_console().print(Text("No incidents match.", style="dim"))


@app.command("show")
def show_command(
    key: IncidentKeyArgument, as_json: JsonOption = False, store: StoreOption = None
) -> None:
    """Show an incident: its signals and evidence, actions, and the verified timeline."""
    from redline.services.views import get_incident_view

    with opened_store(store, read_only=True) as opened:
        detail = get_incident_view(opened, key=key)
    if as_json:
        print_json(detail.to_dict())
        return
    console = stdout_console()
    for item in incident_page(detail):
        console.print(item)


def _transition(
    key: str,
    event: IncidentEvent,
    actor: str | None,
    reason: str,
    url: str | None,
    accept: str = "",
) -> None:
    from redline.services import transition_incident

    with opened_store(url) as opened:
        status = transition_incident(
            opened,
            key=key,
            event=event,
            actor=actor_name(actor),
            reason=reason,
            accept_containment=accept,
        )
    typer.echo(f"{key}: {event.value} -> {status.value}")


@app.command("transition")
def transition_command(
    key: IncidentKeyArgument,
    event: Annotated[
        IncidentEvent, typer.Argument(help="What happens to the incident.", show_default=False)
    ],
    actor: ActorOption = None,
    reason: ReasonOption = "",
    accept: AcceptOption = "",
    store: StoreOption = None,
) -> None:
    """Move an incident by EVENT; a refused move exits 2 and says what is allowed."""
    _transition(key, event, actor, reason, store, accept)


@app.command("resolve")
def resolve_command(
    key: IncidentKeyArgument,
    actor: ActorOption = None,
    reason: ReasonOption = "",
    accept: AcceptOption = "",
    store: StoreOption = None,
) -> None:
    """Resolve an incident; under containment, restore first or --accept-containment REASON."""
    _transition(key, IncidentEvent.RESOLVE, actor, reason, store, accept)


@app.command("restore")
def restore_command(
    key: IncidentKeyArgument,
    actor: ActorOption = None,
    reason: ReasonOption = "",
    store: StoreOption = None,
) -> None:
    """Route an incident's model back to the primary; verified by canaries and a clean window."""
    from redline.services.restore import restore_incident

    with opened_store(store) as opened:
        action_id = restore_incident(opened, key=key, actor=actor_name(actor), reason=reason)
    typer.echo(
        f"{key}: restore action {action_id} applied; verified once the primary passes its "
        "canaries and serves a clean window"
    )


def _shortcut(event: IncidentEvent) -> Callable[..., None]:
    def command(
        key: IncidentKeyArgument,
        actor: ActorOption = None,
        reason: ReasonOption = "",
        store: StoreOption = None,
    ) -> None:
        _transition(key, event, actor, reason, store)

    command.__doc__ = f"Shortcut for `redline incidents transition KEY {event.value}`."
    return command


for _event in (IncidentEvent.CLOSE, IncidentEvent.REOPEN):
    app.command(_event.value)(_shortcut(_event))


@app.command("ack")
def ack_command(
    key: IncidentKeyArgument, actor: ActorOption = None, store: StoreOption = None
) -> None:
    """Acknowledge an incident: record who owns it, once, on its timeline."""
    from redline.services.acknowledge import acknowledge_incident

    with opened_store(store) as opened:
        ack = acknowledge_incident(opened, key=key, actor=actor_name(actor), now=datetime.now(UTC))
    when = format_time(ack.acknowledged_at)
    if ack.new:
        typer.echo(f"{ack.key}: acknowledged by {ack.actor} at {when}")
    else:
        typer.echo(f"{ack.key}: already acknowledged by {ack.actor} at {when}")


@app.command("severity")
def severity_command(
    key: IncidentKeyArgument,
    severity: Annotated[Severity, typer.Argument(help="The new severity.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")],
    actor: ActorOption = None,
    store: StoreOption = None,
) -> None:
    """Escalate or downgrade an incident by hand; the reason goes on the timeline."""
    from redline.services.incidents import change_severity

    with opened_store(store) as opened:
        changed = change_severity(
            opened, key=key, severity=severity, actor=actor_name(actor), reason=reason
        )
    typer.echo(f"{key}: severity {changed.value}")
