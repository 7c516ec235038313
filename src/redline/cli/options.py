"""Options shared by the store commands: ``--store``, ``--actor``, ``--json``, ``-o``, the
incident key; time formatting."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from redline.services.store_access import Store

__all__ = [
    "ActorOption",
    "IncidentKeyArgument",
    "JsonOption",
    "ModelFilterOption",
    "OutputOption",
    "StoreOption",
    "actor_name",
    "format_age",
    "format_time",
    "opened_store",
    "print_json",
    "store_url",
]

StoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="SQLAlchemy URL of the store (default: REDLINE_STORE__URL, else sqlite:///redline.db).",
        show_default=False,
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Who does this, as recorded on the timeline ('alice' means 'person:alice'; "
        "default: person:<your login name>).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
IncidentKeyArgument = Annotated[
    str, typer.Argument(help="The incident key, e.g. RL-2026-0001.", show_default=False)
]
ModelFilterOption = Annotated[str | None, typer.Option("--model", help="Only this model.")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", help="Write to this file instead of stdout.", show_default=False
    ),
]

_AGE_UNITS = (("d", 86_400), ("h", 3_600), ("m", 60))


def store_url(url: str | None) -> str:
    """``url``, or the configured store (``REDLINE_STORE__URL``) when none is given."""
    if url:
        return url
    from redline.settings import get_settings

    return get_settings().store.url


@contextmanager
def opened_store(
    url: str | None, *, migrate: bool = True, read_only: bool = False
) -> Iterator[Store]:
    """The store at ``url``, closed when the block ends: migrated to the latest schema, or
    with ``read_only`` (or without ``migrate``) only an existing database, never created."""
    # Imported here so that `redline --help` does not load SQLAlchemy, numpy and the monitors.
    from redline.services import open_store
    from redline.services.store_access import open_existing_store

    if read_only or not migrate:
        store = open_existing_store(store_url(url), at_head=read_only)
    else:
        store = open_store(store_url(url))
    try:
        yield store
    finally:
        store.dispose()


def actor_name(actor: str | None) -> str:
    """``kind:name`` for the timeline: a bare name is a person, no name is the login user."""
    name = (actor or "").strip() or getpass.getuser()
    return name if ":" in name else f"person:{name}"


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    typer.echo(json.dumps(data, indent=2, allow_nan=False))


def format_time(at: datetime | None) -> str:
    """``2026-11-27 14:03Z`` (UTC, to the minute), or an em dash for no time."""
    if at is None:
        return "—"
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def format_age(since: datetime, now: datetime | None = None) -> str:
    """How long ago ``since`` was, in its two largest units (``3d 4h``, ``12m``, ``40s``)."""
    seconds = max(0, int(((now or datetime.now(UTC)) - since).total_seconds()))
    parts = []
    for unit, size in _AGE_UNITS:
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        elif parts:
            break
    return " ".join(parts[:2]) or f"{seconds}s"
