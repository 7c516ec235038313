"""``redline postmortem generate|show|edit|submit|approve|request-changes|retrain KEY``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from redline.cli.console import command_group, emit
from redline.cli.options import (
    ActorOption,
    IncidentKeyArgument,
    JsonOption,
    OutputOption,
    StoreOption,
    actor_name,
    opened_store,
    print_json,
)

if TYPE_CHECKING:
    from redline.services.postmortems import PostmortemView

__all__ = [
    "app",
    "approve_command",
    "edit_command",
    "generate_command",
    "request_changes_command",
    "retrain_command",
    "show_command",
    "submit_command",
]

app = command_group(
    "Post-mortems: draft, read, edit, review and approve them; hand off retraining."
)

FormatOption = Annotated[
    str, typer.Option("--format", help="md (Markdown) or html (one self-contained page).")
]
PlaybookOption = Annotated[
    Path | None,
    typer.Option(
        "--playbook",
        help="The playbook (redline.yaml): adds a suggested diff / retrain target.",
        show_default=False,
    ),
]
ReasonOption = Annotated[str, typer.Option("--reason", help="Why, as recorded on the timeline.")]


def _report(view: PostmortemView, as_json: bool, verb: str) -> None:
    if as_json:
        summary = view.to_dict()
        summary.pop("content")
        summary.pop("markdown")
        print_json(summary)
    else:
        typer.echo(f"{view.key}: post-mortem {verb} (status {view.status}, version {view.version})")


@app.command("generate")
def generate_command(
    key: IncidentKeyArgument,
    playbook: PlaybookOption = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Discard a person's edits to the draft.")
    ] = False,
    actor: ActorOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Draft the post-mortem from everything stored about the incident."""
    from redline.services.postmortems import generate_postmortem

    text = playbook.read_text("utf-8") if playbook is not None else None
    with opened_store(store) as opened:
        view = generate_postmortem(
            opened, key=key, actor=actor_name(actor), playbook_text=text, replace=replace
        )
    _report(view, as_json, "drafted")


@app.command("show")
def show_command(
    key: IncidentKeyArgument,
    fmt: FormatOption = "md",
    output: OutputOption = None,
    store: StoreOption = None,
) -> None:
    """Print (or write with -o) the post-mortem as Markdown or one HTML page."""
    from redline.services.postmortems import render_postmortem

    with opened_store(store, read_only=True) as opened:
        emit(render_postmortem(opened, key=key, fmt=fmt), output, note=f"wrote {output}")


@app.command("edit")
def edit_command(
    key: IncidentKeyArgument,
    file: Annotated[Path, typer.Option("--file", help="The edited Markdown.", show_default=False)],
    reason: ReasonOption,
    version: Annotated[
        int | None,
        typer.Option("--version", help="The version you edited (refused if it moved on)."),
    ] = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Replace the draft's Markdown with a file's; the version goes up by one."""
    from redline.services.postmortem_review import edit_postmortem

    markdown = file.read_text("utf-8")
    with opened_store(store) as opened:
        view = edit_postmortem(
            opened,
            key=key,
            markdown=markdown,
            reason=reason,
            actor=actor_name(actor),
            expected_version=version,
        )
    _report(view, as_json, "edited")


@app.command("submit")
def submit_command(
    key: IncidentKeyArgument,
    actor: ActorOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Send the draft for review."""
    from redline.services.postmortem_review import submit_postmortem

    with opened_store(store) as opened:
        view = submit_postmortem(opened, key=key, actor=actor_name(actor))
    _report(view, as_json, "submitted for review")


@app.command("approve")
def approve_command(
    key: IncidentKeyArgument,
    by: Annotated[str, typer.Option("--by", help="The person approving it.", show_default=False)],
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Approve the post-mortem in review; the incident may then close."""
    from redline.services.postmortem_review import approve_postmortem

    with opened_store(store) as opened:
        view = approve_postmortem(opened, key=key, by=by)
    _report(view, as_json, f"approved by {view.approved_by}")


@app.command("request-changes")
def request_changes_command(
    key: IncidentKeyArgument,
    reason: ReasonOption,
    actor: ActorOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Send the post-mortem in review back to draft."""
    from redline.services.postmortem_review import request_postmortem_changes

    with opened_store(store) as opened:
        view = request_postmortem_changes(opened, key=key, actor=actor_name(actor), reason=reason)
    _report(view, as_json, "sent back to draft")


@app.command("retrain")
def retrain_command(
    key: IncidentKeyArgument,
    playbook: Annotated[
        Path, typer.Option("--playbook", help="The playbook with a 'retrain' section.")
    ],
    actor: ActorOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Hand the incident, its snapshot and the labelled rows to the playbook's retrain target."""
    from redline.errors import RedlineError
    from redline.playbook import load_playbook
    from redline.services.retrain import trigger_retrain

    config = load_playbook(playbook).retrain
    if config is None:
        raise RedlineError(f"{playbook} has no 'retrain' section (command or webhook)")
    with opened_store(store) as opened:
        result = trigger_retrain(opened, key=key, config=config, actor=actor_name(actor))
    if as_json:
        print_json(result.to_dict())
    else:
        answer = result.exit_code if result.http_status is None else result.http_status
        typer.echo(
            f"{key}: {result.target} answered {answer} ({'ok' if result.ok else 'failed'}); files in {result.directory}"
        )
    if not result.ok:
        raise typer.Exit(1)
