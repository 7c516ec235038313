"""``redline actions apply|revert|list``: containment actions on a model's RouteState."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from redline.cli.console import (
    EXIT_ERROR,
    command_group,
    print_error,
    stderr_console,
    stdout_console,
)
from redline.cli.incident_render import actions_table
from redline.cli.options import (
    ActorOption,
    JsonOption,
    ModelFilterOption,
    StoreOption,
    actor_name,
    opened_store,
    print_json,
)
from redline.domain import ActionType
from redline.domain.action_params import check_action_params

if TYPE_CHECKING:
    from redline.services import ActionResult

__all__ = ["app", "apply_command", "list_command", "parse_params", "revert_command"]

app = command_group("Apply, revert and list containment actions (they change what a model serves).")

#: Parameters that hold a list; on the command line their items are separated by commas.
LIST_PARAMS = frozenset({"sources"})
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}


def _value(key: str, text: str) -> Any:
    """A parameter value: JSON lists and objects, numbers, true/false/null, else the text."""
    if key in LIST_PARAMS:
        return [item.strip() for item in text.split(",") if item.strip()]
    if text.lower() in _LITERALS:
        return _LITERALS[text.lower()]
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"{key}: invalid JSON: {exc}", param_hint="'--param'") from exc
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            continue
    return text


def parse_params(items: list[str]) -> dict[str, Any]:
    """``k=v`` items as a dict with typed values (numbers, booleans, lists for ``sources``)."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} is not key=value", param_hint="'--param'")
        params[key.strip()] = _value(key.strip(), text.strip())
    return params


def _report(result: ActionResult, model: str, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "action_id": result.action_id,
                "type": result.type.value,
                "status": result.status.value,
                "revision": result.revision,
                "created": result.created,
                "error": result.error,
            }
        )
    elif result.error is None:
        revision = f", route revision {result.revision}" if result.revision is not None else ""
        again = "" if result.created else " (already requested with this key)"
        typer.echo(
            f"action {result.action_id}: {result.type.value} on {model} {result.status.value}"
            f"{revision}{again}"
        )
    if result.error is not None:
        print_error(f"action {result.action_id} ({result.type.value} on {model}): {result.error}")
        raise typer.Exit(EXIT_ERROR)


@app.command("apply")
def apply_command(
    model: Annotated[str, typer.Argument(help="The model to act on.", show_default=False)],
    action_type: Annotated[
        ActionType, typer.Argument(metavar="TYPE", help="The action.", show_default=False)
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A parameter as key=value (repeat it): version=v2, threshold=0.7, "
            "sources=10.0.0.0/8,tenant:acme, value='[1,2]'.",
        ),
    ] = None,
    incident: Annotated[
        str | None, typer.Option("--incident", help="The incident key this action contains.")
    ] = None,
    actor: ActorOption = None,
    key: Annotated[
        str | None,
        typer.Option("--key", help="Idempotency key: applying the same key again is a no-op."),
    ] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Apply an action to MODEL now; a failed action is recorded and exits 2."""
    params = check_action_params(action_type, parse_params(param or []))
    from redline.services import apply_action
    from redline.services.views import get_incident_id

    with opened_store(store) as opened:
        incident_id = None if incident is None else get_incident_id(opened, key=incident)
        result = apply_action(
            opened,
            model=model,
            type=action_type,
            trigger=actor_name(actor),
            params=params,
            incident_id=incident_id,
            idempotency_key=key,
        )
    _report(result, model, as_json)


@app.command("revert")
def revert_command(
    action_id: Annotated[int, typer.Argument(help="The action to undo.", show_default=False)],
    actor: ActorOption = None,
    store: StoreOption = None,
) -> None:
    """Undo what an applied action changed in the RouteState, keeping later changes."""
    from redline.services import revert_action

    with opened_store(store) as opened:
        result = revert_action(opened, action_id=action_id, actor=actor_name(actor))
    typer.echo(f"action {result.action_id}: {result.type.value} {result.status.value}")


@app.command("list")
def list_command(
    model: ModelFilterOption = None,
    incident: Annotated[
        str | None, typer.Option("--incident", help="Only this incident's actions.")
    ] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List actions in the order they were requested."""
    from redline.services.views import list_action_views

    with opened_store(store, read_only=True) as opened:
        actions = list_action_views(opened, model=model, incident_key=incident)
    if as_json:
        print_json([a.to_dict() for a in actions])
    elif actions:
        stdout_console().print(actions_table(actions, title=f"Actions ({len(actions)})"))
    else:
        stderr_console().print(Text("No actions match.", style="dim"))
