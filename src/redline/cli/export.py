"""``redline export art73|nist|aiid|assessment KEY``: regulatory and sharing documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from redline.cli.console import command_group, emit
from redline.cli.options import IncidentKeyArgument, OutputOption, StoreOption, opened_store

__all__ = ["aiid_command", "app", "art73_command", "assessment_command", "nist_command"]

app = command_group(
    "Export an incident: EU AI Act Art. 73-style report, NIST AI 600-1 record, AIID record, "
    "reportability assessment. Computed, never submitted; not legal advice."
)

PlaybookOption = Annotated[
    Path | None,
    typer.Option(
        "--playbook",
        help="The playbook whose 'regulatory' section names the system.",
        show_default=False,
    ),
]


def _regulatory(playbook: Path | None) -> dict[str, Any] | None:
    if playbook is None:
        return None
    from redline.playbook import load_playbook

    section = load_playbook(playbook).regulatory
    return None if section is None else section.model_dump()


def _export(
    kind: str, key: str, fmt: str, output: Path | None, playbook: Path | None, store: str | None
) -> None:
    from redline.services.postmortem_exports import export_incident, render_export

    with opened_store(store) as opened:
        document = export_incident(opened, key=key, kind=kind, regulatory=_regulatory(playbook))
    text = (
        render_export(document, kind=kind, fmt=fmt)
        or json.dumps(document, indent=2, sort_keys=True) + "\n"
    )
    emit(text, output, note=f"wrote {output} (payload sha256 {document['sha256']})")


@app.command("art73")
def art73_command(
    key: IncidentKeyArgument,
    fmt: Annotated[str, typer.Option("--format", help="json, md or html.")] = "json",
    output: OutputOption = None,
    playbook: PlaybookOption = None,
    store: StoreOption = None,
) -> None:
    """An EU AI Act Art. 73-style serious-incident report (JSON, or a document to read)."""
    _export("art73", key, fmt, output, playbook, store)


@app.command("nist")
def nist_command(
    key: IncidentKeyArgument, output: OutputOption = None, store: StoreOption = None
) -> None:
    """A NIST AI 600-1 (GV-4.3-002) incident record as JSON."""
    _export("nist", key, "json", output, None, store)


@app.command("aiid")
def aiid_command(
    key: IncidentKeyArgument,
    output: OutputOption = None,
    playbook: PlaybookOption = None,
    store: StoreOption = None,
) -> None:
    """An AI Incident Database-style record as JSON, for sharing."""
    _export("aiid", key, "json", output, playbook, store)


@app.command("assessment")
def assessment_command(
    key: IncidentKeyArgument,
    output: OutputOption = None,
    playbook: PlaybookOption = None,
    store: StoreOption = None,
) -> None:
    """The reportability questions and the 15 / 2 / 10-day clocks from aware_at (not legal advice)."""
    _export("assessment", key, "json", output, playbook, store)
