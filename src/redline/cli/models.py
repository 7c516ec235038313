"""``redline models register|list|deploy|history``: the model registry and deployment history."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from redline.cli.console import command_group, stdout_console
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
    from redline.services.catalog import ModelSummary
    from redline.services.registry import Deployment, ModelVersion
    from redline.services.views import RouteView

__all__ = [
    "app",
    "deploy_command",
    "history_command",
    "list_command",
    "register_command",
]

app = command_group("Register model versions, deploy them, and read the deployment history.")

ModelArgument = Annotated[str, typer.Argument(help="The model's name.", show_default=False)]
VersionArgument = Annotated[str, typer.Argument(help="The version's name.", show_default=False)]


def _metric(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise typer.BadParameter(f"{text!r} is not NAME=VALUE", param_hint="'--metric'")
    try:
        return name.strip(), json.loads(value)
    except json.JSONDecodeError:
        return name.strip(), value


@app.command("register")
def register_command(
    model: ModelArgument,
    version: VersionArgument,
    artifact: Annotated[
        str,
        typer.Argument(
            help="A model file (.skops, .onnx, .joblib, .pkl) or a 'module:function' reference.",
            show_default=False,
        ),
    ],
    data_version: Annotated[
        str | None,
        typer.Option("--data-version", help="The training data version (DVC tag, git commit)."),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="An offline metric as NAME=VALUE; repeat for more."),
    ] = None,
    actor: ActorOption = None,
    store: StoreOption = None,
) -> None:
    """Register ARTIFACT as VERSION of MODEL, with its sha256 (nothing is loaded or run)."""
    from redline.services.registry import register_version

    metrics = dict(_metric(m) for m in metric or [])
    with opened_store(store) as opened:
        row = register_version(
            opened,
            model=model,
            version=version,
            artifact=artifact,
            training_data_version=data_version,
            metrics=metrics,
            actor=actor_name(actor),
        )
    typer.echo(f"registered {model} {version} sha256:{row.sha256[:12]} {row.artifact_uri}")


@app.command("list")
def list_command(
    model: Annotated[
        str | None,
        typer.Argument(help="A model: list its versions (without one: every model's health)."),
    ] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List every model with its route and health, or the versions of MODEL ('*': deployed)."""
    from redline.services.catalog import list_models
    from redline.services.registry import current_version, list_versions
    from redline.services.response import load_response_plan
    from redline.services.views import get_route_view
    from redline.settings import get_settings

    with opened_store(store, read_only=True) as opened:
        if model is None:
            # The server's playbook (REDLINE_API__PLAYBOOK): the same review SLA as the overview.
            sla = load_response_plan(get_settings().api.playbook).review_sla
            models = list_models(opened, review_sla=sla)
        else:
            versions = list_versions(opened, model)
            deployed = current_version(opened, model)
            route = get_route_view(opened, model=model)
    if model is None:
        if as_json:
            print_json([m.to_dict() for m in models])
        else:
            stdout_console().print(_models_table(models))
    elif as_json:
        print_json([{**v.to_dict(), "deployed": v.version == deployed} for v in versions])
    else:
        stdout_console().print(_versions_table(model, versions, deployed))
        stdout_console().print(_route_line(route))


def _health(departures: tuple[str, ...]) -> Text:
    if departures:
        return Text(f"degraded: {', '.join(departures)}", style="bold yellow")
    return Text("ok", style="green")


def _model_health(model: ModelSummary) -> Text:
    if model.healthy:
        return Text("ok", style="green")
    return Text("; ".join(model.health), style="bold yellow")


def _route_line(route: RouteView) -> Text:
    line = Text(f"route revision {route.revision}: ")
    return line.append_text(_health(route.departures))


def _models_table(models: list[ModelSummary]) -> Table:
    table = Table(title="Models", title_justify="left")
    for header in ("model", "health", "route", "revision", "version", "open incidents"):
        table.add_column(header, overflow="fold")
    for m in models:
        table.add_row(
            Text(m.name),
            _model_health(m),
            Text(m.route.mode.value),
            Text(str(m.route.revision)),
            Text(m.production_version or "—"),
            Text(str(m.open_incidents)),
        )
    return table


def _versions_table(model: str, versions: list[ModelVersion], deployed: str | None) -> Table:
    table = Table(title=f"Versions of {model}", title_justify="left")
    for header in ("", "version", "registered", "by", "data version", "sha256", "artifact"):
        table.add_column(header, overflow="fold")
    for v in versions:
        table.add_row(
            Text("*" if v.version == deployed else ""),
            Text(v.version),
            Text(format_time(v.registered_at)),
            Text(v.registered_by),
            Text(v.training_data_version or "—"),
            Text(v.sha256[:12]),
            Text(v.artifact_uri),
        )
    return table


@app.command("deploy")
def deploy_command(
    model: ModelArgument,
    version: VersionArgument,
    actor: Annotated[
        str, typer.Option("--actor", help="Who deploys ('alice' means 'person:alice').")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why, as kept in the history.")],
    incident: Annotated[
        str | None, typer.Option("--incident", help="The incident key this deployment answers.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Make MODEL serve a registered VERSION: a history row and a route revision Guards obey."""
    from redline.services.registry import deploy

    with opened_store(store) as opened:
        row = deploy(
            opened,
            model=model,
            version=version,
            actor=actor_name(actor),
            reason=reason,
            incident_key=incident,
        )
    typer.echo(f"deployed {model} {row.version} (was {row.previous_version or 'none'})")


@app.command("history")
def history_command(
    model: ModelArgument, as_json: JsonOption = False, store: StoreOption = None
) -> None:
    """Show every change of the version MODEL serves, oldest first."""
    from redline.services.registry import list_deployments

    with opened_store(store, read_only=True) as opened:
        rows = list_deployments(opened, model)
    if as_json:
        print_json([row.to_dict() for row in rows])
        return
    stdout_console().print(_history_table(model, rows))


def _history_table(model: str, rows: list[Deployment]) -> Table:
    table = Table(title=f"Deployments of {model}", title_justify="left")
    for header in ("at", "alias", "version", "previous", "by", "reason", "incident"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(
            Text(format_time(row.at)),
            Text(row.alias),
            Text(row.version),
            Text(row.previous_version or "—"),
            Text(row.actor),
            Text(row.reason),
            Text("—" if row.incident_id is None else str(row.incident_id)),
        )
    return table
