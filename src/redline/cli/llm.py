"""``redline llm scan FILE``: run the text scanners over prompts or answers, one per line."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

import typer
from rich.table import Table

from redline.cli.console import EXIT_DRIFT, EXIT_OK, command_group, stdout_console
from redline.errors import DataError

if TYPE_CHECKING:
    from redline.scanners.base import Verdict

__all__ = [
    "DirectionChoice",
    "FailChoice",
    "InputFormat",
    "ScanItem",
    "app",
    "parse_items",
    "scan_command",
    "verdict_json",
]

app = command_group("Scan LLM prompts and answers: injection, secrets, canaries, leakage, PII.")

EXIT_FLAGGED = EXIT_DRIFT  # 1: something was flagged, as `redline check` exits 1 on drift
Direction = Literal["prompt", "output"]
_DIRECTIONS = ("prompt", "output")


class InputFormat(StrEnum):
    """How FILE is read: auto (JSONL when the first line starts with '{'), jsonl or text."""

    AUTO = "auto"
    JSONL = "jsonl"
    TEXT = "text"


class DirectionChoice(StrEnum):
    """Whether the items are prompts (to the model) or outputs (from it)."""

    PROMPT = "prompt"
    OUTPUT = "output"


class FailChoice(StrEnum):
    """What a scanner error does: open (ignore it, record it) or closed (block)."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ScanItem:
    """One text to scan and where it came from (1-based line number)."""

    line: int
    text: str
    direction: Direction
    system_prompt: str | None


def _read(file: str) -> str:
    try:
        if file == "-":
            return sys.stdin.buffer.read().decode("utf-8")
        return Path(file).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{file}: not UTF-8 text (byte {exc.start}): {exc.reason}") from exc
    except FileNotFoundError as exc:
        raise DataError(f"{file}: no such file") from exc


def _json_item(number: int, line: str, direction: Direction, system_prompt: str | None) -> ScanItem:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"line {number}: not valid JSON ({exc.msg})") from exc
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        raise DataError(f'line {number}: expected an object with a string field "text"')
    item_direction = row.get("direction", direction)
    if item_direction not in _DIRECTIONS:
        raise DataError(f"line {number}: direction must be 'prompt' or 'output'")
    prompt = row.get("system_prompt", system_prompt)
    if prompt is not None and not isinstance(prompt, str):
        raise DataError(f"line {number}: system_prompt must be a string")
    return ScanItem(number, row["text"], cast(Direction, item_direction), prompt)


def parse_items(
    content: str, *, fmt: InputFormat, direction: Direction, system_prompt: str | None
) -> list[ScanItem]:
    """Split the input into items: JSONL objects with "text", or one plain text per line."""
    lines = content.splitlines()
    if fmt is InputFormat.AUTO:
        first = next((line.strip() for line in lines if line.strip()), "")
        fmt = InputFormat.JSONL if first.startswith("{") else InputFormat.TEXT
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if fmt is InputFormat.JSONL:
            items.append(_json_item(number, line, direction, system_prompt))
        else:
            items.append(ScanItem(number, line, direction, system_prompt))
    return items


def verdict_json(item: ScanItem, verdict: Verdict) -> dict[str, Any]:
    """One verdict as a JSON object, with the line it came from first."""
    return {"line": item.line, **verdict.to_dict()}


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table("line", "action", "score", "findings", "evidence", title="redline llm scan")
    for row in rows:
        scanners = ", ".join(f"{f['scanner']} {f['score']:.2f}" for f in row["findings"])
        evidence = "; ".join(
            f"{e['rule']}: {e['excerpt']!r}" for f in row["findings"] for e in f["evidence"][:3]
        )
        style = "" if row["action"] == "allow" else "bold red"
        table.add_row(
            str(row["line"]), row["action"], f"{row['score']:.2f}", scanners, evidence, style=style
        )
    return table


@app.command("scan")
def scan_command(
    file: Annotated[
        str,
        typer.Argument(help="JSONL (field text) or text, one per line; - = stdin.", metavar="FILE"),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One verdict object per line.")] = False,
    direction: Annotated[
        DirectionChoice, typer.Option("--direction", help="JSONL rows may set their own.")
    ] = DirectionChoice.PROMPT,
    system_prompt: Annotated[
        str | None, typer.Option("--system-prompt", help="System prompt, for leakage checks.")
    ] = None,
    fmt: Annotated[InputFormat, typer.Option("--format", help="How FILE is read.")] = (
        InputFormat.AUTO
    ),
    fail: Annotated[
        FailChoice, typer.Option("--fail", help="When a scanner errors: ignore it or block.")
    ] = FailChoice.OPEN,
) -> None:
    """Scan each item; exit 1 when any is flagged (action other than allow), 2 on bad input."""
    from redline.scanners.base import ScanContext
    from redline.scanners.defaults import default_pipeline

    items = parse_items(
        _read(file),
        fmt=fmt,
        direction=direction.value,
        system_prompt=system_prompt,
    )
    pipeline = default_pipeline(fail="closed" if fail is FailChoice.CLOSED else "open")
    rows = []
    for item in items:
        context = ScanContext(item.direction, system_prompt=item.system_prompt)
        rows.append(verdict_json(item, pipeline.scan(item.text, context)))
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
    else:
        stdout_console().print(_table(rows))
    raise typer.Exit(EXIT_FLAGGED if any(r["action"] != "allow" for r in rows) else EXIT_OK)
