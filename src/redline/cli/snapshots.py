"""``redline snapshot take|list|show|verify|export`` and ``redline replay``: forensic evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from redline.cli.console import EXIT_DRIFT, command_group, stderr_console, stdout_console
from redline.cli.options import (
    ActorOption,
    JsonOption,
    ModelFilterOption,
    StoreOption,
    actor_name,
    format_time,
    opened_store,
    print_json,
)
from redline.cli.snapshot_render import format_size, print_replay, snapshot_summary

__all__ = [
    "app",
    "export_command",
    "list_command",
    "replay_command",
    "show_command",
    "take_command",
    "verify_command",
]

app = command_group(
    "Forensic snapshots: model, code, environment, data and windows, sealed by sha256."
)

IdArgument = Annotated[
    str, typer.Argument(help="Snapshot id, or its first 8+ hex digits.", show_default=False)
]
ModelOption = Annotated[str, typer.Option("--model", help="The model.", show_default=False)]
IncidentOption = Annotated[
    str | None, typer.Option("--incident", help="Incident key, e.g. RL-2026-0042.")
]


@app.command("take")
def take_command(
    model: ModelOption,
    incident: IncidentOption = None,
    actor: ActorOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Take a snapshot of MODEL now (for an incident with --incident)."""
    from redline.services.snapshots import take_snapshot

    with opened_store(store) as opened:
        view = take_snapshot(opened, model=model, incident_key=incident, actor=actor_name(actor))
    if as_json:
        print_json(view.to_dict(manifest=False))
        return
    stdout_console().print(Text.assemble("snapshot ", (view.id, "bold")))
    stdout_console().print(snapshot_summary(view))


@app.command("list")
def list_command(
    model: ModelFilterOption = None,
    incident: IncidentOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 100,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """List snapshots, newest first."""
    from redline.services.snapshots import list_snapshot_views

    with opened_store(store, read_only=True) as opened:
        views = list_snapshot_views(opened, incident_key=incident, model=model, limit=limit)
    if as_json:
        print_json([v.to_dict(manifest=False) for v in views])
        return
    if not views:
        stderr_console().print(Text("No snapshots.", style="dim"))
        return
    table = Table(title="Snapshots", title_justify="left")
    for header in ("id", "taken", "model", "incident", "reason", "files", "size"):
        table.add_column(header, justify="right" if header in {"files", "size"} else "left")
    for v in views:
        table.add_row(
            v.id[:12],
            format_time(v.taken_at),
            Text(v.model),
            v.incident or "—",
            v.reason,
            str(v.files),
            format_size(v.size_bytes),
        )
    stdout_console().print(table)


@app.command("show")
def show_command(
    snapshot_id: IdArgument, as_json: JsonOption = False, store: StoreOption = None
) -> None:
    """Show a snapshot's summary and files (--json: the whole manifest)."""
    from redline.services.snapshots import get_snapshot_view

    with opened_store(store, read_only=True) as opened:
        view = get_snapshot_view(opened, snapshot_id=snapshot_id)
    if as_json:
        print_json(view.to_dict())
        return
    console = stdout_console()
    console.print(Text.assemble("snapshot ", (view.id, "bold")))
    console.print(snapshot_summary(view))
    table = Table(title="Files", title_justify="left")
    for header in ("name", "sha256", "size", "media type"):
        table.add_column(header, justify="right" if header == "size" else "left")
    for f in view.manifest.get("files", []):
        table.add_row(
            Text(f["name"]), f["sha256"][:16], format_size(int(f["size"])), f["media_type"]
        )
    console.print(table)


@app.command("verify")
def verify_command(
    snapshot_id: IdArgument, as_json: JsonOption = False, store: StoreOption = None
) -> None:
    """Recompute every file's sha256 and the manifest's; exit 1 on any mismatch."""
    from redline.services.snapshots import verify_snapshot

    with opened_store(store, read_only=True) as opened:
        result = verify_snapshot(opened, snapshot_id=snapshot_id)
    if as_json:
        print_json(result.to_dict())
    else:
        console = stdout_console()
        for problem in result.problems():
            console.print(Text(f"✗ {problem}", style="bold red"))
        verdict = "✓ intact" if result.ok else "✗ changed"
        style = "green" if result.ok else "red"
        console.print(
            Text(f"{verdict}: {result.snapshot_id}, {len(result.files)} files", style=style)
        )
    if not result.ok:
        raise typer.Exit(EXIT_DRIFT)


@app.command("export")
def export_command(
    snapshot_id: IdArgument,
    output: Annotated[Path, typer.Option("-o", "--output", help="The .tar.gz to write.")],
    store: StoreOption = None,
) -> None:
    """Write a snapshot as a tar.gz: manifest.json, files/<sha256>, README.txt."""
    from redline.services.snapshots import export_snapshot

    with opened_store(store, read_only=True) as opened:
        path = export_snapshot(opened, snapshot_id=snapshot_id, path=output)
    stderr_console().print(Text(f"wrote {path}", style="dim"))


def replay_command(
    snapshot_id: IdArgument,
    trust_artifacts: Annotated[
        bool,
        typer.Option(
            "--trust-artifacts",
            help="Allow pickle/joblib artifacts, which run code when loaded (only ones you built).",
        ),
    ] = False,
    prediction: Annotated[
        str | None,
        typer.Option(
            "--prediction", help="Column of the recorded outputs (default: the reference's)."
        ),
    ] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Rerun a snapshot's recorded inputs through its model; exit 1 if any recorded output differs."""
    from redline.services.replay import replay_snapshot

    with opened_store(store) as opened:
        report = replay_snapshot(
            opened, snapshot_id, trust_artifacts=trust_artifacts, prediction=prediction
        )
    if as_json:
        print_json(report.to_dict())
    else:
        print_replay(report.to_dict())
    if report.reproduced is False:
        raise typer.Exit(EXIT_DRIFT)
