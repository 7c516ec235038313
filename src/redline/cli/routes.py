"""``redline routes show|history``: what a model serves now, and every change that led there."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from redline.cli.console import stderr_console, stdout_console
from redline.cli.options import JsonOption, StoreOption, format_time, opened_store, print_json

if TYPE_CHECKING:
    from redline.services.views import RouteView

__all__ = ["app", "describe_value", "history_command", "show_command"]

app = typer.Typer(
    help="Show the RouteState a model's Guards obey, or its history of revisions.",
    invoke_without_command=True,
)

ModelArgument = Annotated[str, typer.Argument(help="The model.", show_default=False)]

#: RouteState fields in reading order, with their labels.
FIELDS = {
    "mode": "serving",
    "model_version": "model version",
    "fallback_version": "fallback version",
    "shadow_version": "shadow version",
    "confidence_threshold": "confidence threshold",
    "review_mode": "while in review",
    "blocked_sources": "blocked sources",
    "input_filters": "input filters",
    "output_patch": "output patch",
    "generation_limits": "generation limits",
}


def _filter(rule: Mapping[str, Any]) -> str:
    return f"{rule.get('field')} {rule.get('op')} {json.dumps(rule.get('value'))} -> {rule.get('action')}"


def _patch(patch: Mapping[str, Any]) -> str:
    remap = ", ".join(f"{k}->{v}" for k, v in (patch.get("class_remap") or {}).items())
    return f"score {patch.get('score_offset', 0.0):+g}" + (f", classes {remap}" if remap else "")


def describe_value(name: str, value: Any) -> str:
    """A RouteState field's value in words ("—" for unset)."""
    if value is None or value == [] or value == ():
        return "—"
    if name == "input_filters":
        return "; ".join(_filter(rule) for rule in value)
    if name == "output_patch":
        return _patch(value)
    if name == "generation_limits":
        caps = (f"{k.replace('_', ' ')} ≤ {v:g}" for k, v in value.items() if v is not None)
        return ", ".join(caps)
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


@app.callback()
def routes_group(ctx: typer.Context) -> None:
    """Show the RouteState a model's Guards obey, or its history of revisions."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


def _state_table(view: RouteView) -> Table:
    state = view.state.to_dict()
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="dim")
    table.add_column()
    for name, label in FIELDS.items():
        style = "bold" if name == "mode" and state[name] != "primary" else ""
        table.add_row(label, Text(describe_value(name, state.get(name)), style=style))
    return table


@app.command("show")
def show_command(
    model: ModelArgument, as_json: JsonOption = False, store: StoreOption = None
) -> None:
    """Show the RouteState MODEL's Guards obey now."""
    from redline.services.views import get_route_view

    with opened_store(store, read_only=True) as opened:
        view = get_route_view(opened, model=model)
    if as_json:
        print_json(view.to_dict())
        return
    console = stdout_console()
    by = (
        f" by {view.created_by} at {format_time(view.created_at)}"
        if view.created_by
        else " (nothing stored: the primary serves)"
    )
    console.print(Text.assemble((model, "bold"), f": revision {view.revision}{by}"))
    console.print(_state_table(view))


@app.command("history")
def history_command(
    model: ModelArgument, as_json: JsonOption = False, store: StoreOption = None
) -> None:
    """List every RouteState revision of MODEL, oldest first, with what each changed."""
    from redline.services.views import list_route_views

    with opened_store(store, read_only=True) as opened:
        views = list_route_views(opened, model=model)
    if as_json:
        print_json([v.to_dict() for v in views])
        return
    if not views:
        stderr_console().print(
            Text(f"No route changes for {model}: the primary serves.", style="dim")
        )
        return
    table = Table(title=f"Route history of {model}", title_justify="left")
    for header in ("revision", "at", "by", "changes"):
        table.add_column(header, justify="right" if header == "revision" else "left")
    for view in views:
        changes = "; ".join(
            f"{FIELDS.get(name, name)} {describe_value(name, value)}"
            for name, value in view.changes.items()
        )
        table.add_row(
            str(view.revision),
            format_time(view.created_at),
            Text(view.created_by or ""),
            Text(changes or "no change"),
        )
    stdout_console().print(table)
