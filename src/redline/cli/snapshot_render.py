"""Rich renderings of snapshots and replay reports for ``redline snapshot`` and ``redline replay``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from redline.cli.console import stdout_console
from redline.cli.options import format_time

if TYPE_CHECKING:
    from redline.services.snapshot_views import SnapshotView

__all__ = ["format_size", "print_replay", "snapshot_summary"]


def format_size(n: int) -> str:
    """Bytes in B, KiB, MiB or GiB (rounded down)."""
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n} {unit}"
        n //= 1024
    return f"{n} GiB"


def snapshot_summary(view: SnapshotView) -> Table:
    """The manifest in a dozen labelled lines: model, artifact, code, runtime, data, files."""
    m = view.manifest
    model = m.get("model_version") or {}
    code = m.get("code") or {}
    env = m.get("environment") or {}
    data = m.get("data") or {}
    rows = {
        "model": f"{view.model} {model.get('version') or '(no registered version)'}",
        "artifact": f"{model.get('artifact_sha256', '—')} ({(model.get('artifact') or {}).get('status', '—')})",
        "incident": view.incident or "—",
        "reason": view.reason,
        "taken": format_time(view.taken_at),
        "code": f"{code.get('commit', '—')}{' (dirty)' if code.get('dirty') else ''}"
        if code.get("status") == "recorded"
        else f"unavailable: {code.get('reason')}",
        "python": f"{(env.get('python') or {}).get('version')} on {env.get('os')}",
        "distributions": str(env.get("distributions")),
        "data version": str(data.get("declared") or data.get("reason") or "see manifest"),
        "reference": str(data.get("reference_hash") or "—"),
        "windows": str(len((m.get("observations") or {}).get("windows", []))),
        "files": f"{view.files} ({format_size(view.size_bytes)})",
    }
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="dim")
    table.add_column()
    for label, value in rows.items():
        table.add_row(label, Text(value))
    return table


def print_replay(report: dict[str, Any]) -> None:
    """Divergence, notes, and a table of environment differences (or that there are none)."""
    console = stdout_console()
    d = report["divergence"]
    style = {True: "green", False: "bold red"}.get(report["reproduced"], "yellow")
    console.print(
        Text(
            f"{d['diverged']} of {d['compared']} recorded outputs differ "
            f"(share {d['share']:.1%}, max abs difference {d['max_abs_diff']}); "
            f"{d['rows']} rows rerun with {report['artifact']}",
            style=style,
        )
    )
    for note in report["notes"]:
        console.print(Text(note, style="dim"))
    changes = report["environment_changes"]
    if not changes:
        console.print(Text("environment: no difference from the snapshot's", style="green"))
        return
    table = Table(title="Environment: snapshot → now", title_justify="left")
    for header in ("change", "what", "snapshot", "now"):
        table.add_column(header)
    for c in changes:
        table.add_row(c["kind"], Text(c["name"]), Text(str(c["before"])), Text(str(c["after"])))
    console.print(table)
