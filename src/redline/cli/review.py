"""``redline review list|decide``: work the queue of predictions held for people."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from redline.cli.console import stdout_console
from redline.cli.options import JsonOption, StoreOption, format_age, opened_store, print_json

if TYPE_CHECKING:
    from redline.services.review import ReviewItem

__all__ = ["app", "decide_command", "list_command", "review_group"]

app = typer.Typer(
    help="List the predictions held for review and record decisions, which become labels.",
    invoke_without_command=True,
)

STATUSES = ("pending", "decided", "all")
_SHOWN_CHARS = 40


@app.callback()
def review_group(ctx: typer.Context) -> None:
    """List the predictions held for review and record decisions, which become labels."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


@app.command("list")
def list_command(
    model: Annotated[str | None, typer.Option("--model", help="Only this model's items.")] = None,
    status: Annotated[
        str, typer.Option("--status", help="pending, decided or all.", show_default=True)
    ] = "pending",
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many items.")] = 100,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List review items, oldest first (pending ones unless --status says otherwise)."""
    from redline.services.review import list_review_page

    if status not in STATUSES:
        raise typer.BadParameter(
            f"{status!r} is not one of {', '.join(STATUSES)}", param_hint="'--status'"
        )
    with opened_store(store, read_only=True) as opened:
        page = list_review_page(
            opened, status=None if status == "all" else status, model=model, limit=limit
        )
    if as_json:
        print_json([item.to_dict() for item in page.items])
        return
    stdout_console().print(_items_table(page.items, status, total=page.total))


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def _items_table(items: list[ReviewItem], status: str, *, total: int) -> Table:
    shown = f"{total}" if total == len(items) else f"{total}, the oldest {len(items)} shown"
    table = Table(title=f"Review items ({status}): {shown}", title_justify="left")
    headers = ("id", "model", "request", "reason", "confidence", "threshold", "output")
    for header in (*headers, "incident", "age", "decision"):
        table.add_column(header, overflow="fold")
    for item in items:
        decided = "—" if item.decision is None else f"{item.decision} by {item.reviewer}"
        table.add_row(
            Text(str(item.id)),
            Text(item.model),
            Text(item.request_id),
            Text(item.reason),
            Text(_number(item.confidence)),
            Text(_number(item.threshold)),
            Text(_short(item.output)),
            Text(item.incident or "—"),
            Text(format_age(item.created_at)),
            Text(decided),
        )
    return table


def _parse_output(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(
            f"{text!r} is not JSON ({exc.msg}); quote strings, e.g. '\"fraud\"'",
            param_hint="'--output'",
        ) from None


@app.command("decide")
def decide_command(
    item_id: Annotated[int, typer.Argument(help="The review item's id.", show_default=False)],
    decision: Annotated[
        str,
        typer.Argument(help="accept, override, reject or escalate.", show_default=False),
    ],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who decides.")],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            help="The correct output as JSON (required to override; optional to reject).",
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Decide ITEM_ID: accept the model's output, override it, reject it, or escalate."""
    from redline.services.review import decide_review

    final_output = _parse_output(output)
    with opened_store(store) as opened:
        item = decide_review(
            opened,
            item_id=item_id,
            decision=decision,
            reviewer=reviewer,
            final_output=final_output,
        )
    labelled = "no label" if item.final_output is None else f"label {_short(item.final_output)}"
    typer.echo(f"review item {item.id}: {item.decision} by {item.reviewer} ({labelled})")
