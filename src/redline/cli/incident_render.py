"""Incident views as Rich renderables: the listing table and the ``show`` page."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from redline.cli.options import format_age, format_time
from redline.reports import format_share, format_value

if TYPE_CHECKING:
    from redline.services.view_types import (
        ActionView,
        IncidentDetail,
        IncidentSummary,
        SignalView,
        TimelineEntry,
    )

__all__ = [
    "SEVERITY_STYLES",
    "STATUS_STYLES",
    "actions_table",
    "incident_page",
    "incidents_table",
    "severity_text",
]

SEVERITY_STYLES = {"SEV1": "bold red", "SEV2": "bold dark_orange", "SEV3": "bold yellow"}
STATUS_STYLES = {
    "triage": "yellow",
    "declared": "red",
    "contained": "dark_orange",
    "monitoring": "cyan",
    "resolved": "green",
    "postmortem": "magenta",
    "closed": "dim",
    "dismissed": "dim",
    "applied": "cyan",
    "verified": "green",
    "failed": "red",
    "reverted": "dim",
    "requested": "yellow",
}
_DETAILS_WIDTH = 90


def severity_text(severity: str) -> Text:
    """The severity in its colour: SEV1 red, SEV2 orange, SEV3 yellow."""
    return Text(severity, style=SEVERITY_STYLES.get(severity, ""))


def _status(status: str) -> Text:
    return Text(status, style=STATUS_STYLES.get(status, ""))


def incidents_table(incidents: Sequence[IncidentSummary]) -> Table:
    """One row per incident: key, severity, status, model, title, detected, age."""
    table = Table(title=f"Incidents ({len(incidents)})", title_justify="left")
    for header in ("key", "severity", "status", "model", "title", "detected", "age"):
        table.add_column(header, no_wrap=header != "title", overflow="fold")
    for incident in incidents:
        table.add_row(
            Text(incident.key, style="bold"),
            severity_text(incident.severity.value),
            _status(incident.status.value),
            Text(incident.model),
            Text(incident.title),
            Text(format_time(incident.detected_at)),
            Text(format_age(incident.detected_at)),
        )
    return table


def _moves(signal: SignalView) -> Text:
    parts = [
        f"{m.get('bin')}: {format_share(m.get('reference'))} -> {format_share(m.get('current'))}"
        for m in signal.top_moves[:2]
    ]
    return Text("; ".join(parts), style="dim")


def _signals_table(signals: Sequence[SignalView], *, total: int) -> Table:
    title = "Signals" if total <= len(signals) else f"Signals: the newest {len(signals)} of {total}"
    table = Table(title=title, title_justify="left")
    for header in ("kind", "column", "level", "statistic", "value", "threshold", "top moves"):
        table.add_column(header, justify="right" if header in {"value", "threshold"} else "left")
    for s in signals:
        table.add_row(
            Text(s.kind),
            Text(s.column or ""),
            Text(s.level, style="red" if s.level in {"alarm", "critical"} else "yellow"),
            Text(s.statistic),
            Text(format_value(s.value)),
            Text(format_value(s.threshold)),
            _moves(s),
        )
    return table


def actions_table(actions: Sequence[ActionView], *, title: str = "Actions") -> Group:
    """One row per action (id, type, model, status, trigger, incident, revision, when); errors below."""
    table = Table(title=title, title_justify="left")
    headers = ("id", "type", "model", "status", "trigger", "incident", "revision", "requested")
    for header in headers:
        right = header in {"id", "revision"}
        table.add_column(header, justify="right" if right else "left", no_wrap=header != "trigger")
    for a in actions:
        table.add_row(
            Text(str(a.id)),
            Text(a.type.value),
            Text(a.model),
            _status(a.status.value),
            Text(a.trigger),
            Text(a.incident_key or ""),
            Text("" if a.revision is None else str(a.revision)),
            Text(format_time(a.requested_at)),
        )
    errors = [Text(f"action {a.id} failed: {a.error}", style="red") for a in actions if a.error]
    return Group(table, *errors)


def _status_change(d: Mapping[str, Any]) -> str:
    reason = f" ({d['reason']})" if d.get("reason") else ""
    return f"{d.get('event')}: {d.get('from')} -> {d.get('to')}{reason}"


def _opened(d: Mapping[str, Any]) -> str:
    return f"{d.get('severity')} by {', '.join(d.get('rules') or [])}; {len(d.get('signals') or [])} signals"


def _action(d: Mapping[str, Any]) -> str:
    revision = f" -> route revision {d['revision']}" if d.get("revision") is not None else ""
    error = f": {d['error']}" if d.get("error") else ""
    return f"{d.get('type')} (action {d.get('action_id')}){revision}{error}"


def _generic(d: Mapping[str, Any]) -> str:
    return json.dumps(d, sort_keys=True, default=str)


#: How the details of each kind of event read on one line.
_DESCRIBE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "status": _status_change,
    "opened": _opened,
    "action_applied": _action,
    "action_failed": _action,
    "action_reverted": _action,
    "action_verified": _action,
}


def _chain_mark(entry: TimelineEntry, broken_seq: int | None) -> Text:
    if entry.verified:
        return Text("✓", style="green")
    if entry.seq == broken_seq:
        return Text("✗", style="bold red")
    return Text("?", style="dim")  # after a break nothing can be vouched for


def _timeline_table(entries: Sequence[TimelineEntry], broken_seq: int | None) -> Table:
    table = Table(title="Timeline", title_justify="left")
    for header in ("seq", "at", "actor", "kind", "details", "chain"):
        table.add_column(header, justify="right" if header == "seq" else "left")
    for e in entries:
        text = _DESCRIBE.get(e.kind, _generic)(e.details)
        if len(text) > _DETAILS_WIDTH:
            text = text[: _DETAILS_WIDTH - 1] + "…"
        table.add_row(
            Text(str(e.seq)),
            Text(format_time(e.at)),
            Text(e.actor),
            Text(e.kind),
            Text(text),
            _chain_mark(e, broken_seq),
        )
    return table


def _header(detail: IncidentDetail) -> Group:
    i = detail.incident
    line = Text.assemble(
        (i.key, "bold"),
        "  ",
        severity_text(i.severity.value),
        "  ",
        _status(i.status.value),
        "  ",
        (i.model, "bold"),
    )
    times = (
        f"detected {format_time(i.detected_at)} ({format_age(i.detected_at)} ago) · "
        f"acknowledged {format_time(i.acknowledged_at)} · contained {format_time(i.contained_at)}"
        f" · resolved {format_time(i.resolved_at)} · closed {format_time(i.closed_at)}"
    )
    postmortem = "required" if detail.postmortem_required else "not required"
    facts = (
        f"category {i.category} · policy {detail.policy_version} · post-mortem {postmortem}"
        + (f" ({detail.postmortem_status})" if detail.postmortem_status else "")
        + (f" · resolved because {detail.resolution_reason}" if detail.resolution_reason else "")
    )
    events = ", ".join(detail.next_events) or "none"
    allowed = ", ".join(detail.allowed_events) or "none"
    waiting = [
        f"{o.event} with --{o.needs[0].replace('_', '-')}"
        if o.needs
        else f"{o.event} not yet: {o.refusal}"
        for o in detail.options
        if not o.allowed
    ]
    return Group(
        line,
        Text(i.title),
        Text(times, style="dim"),
        Text(facts, style="dim"),
        Text(f"events from here: {events}; allowed now: {allowed}"),
        *([Text("; ".join(waiting), style="dim")] if waiting else []),
    )


def _chain_line(detail: IncidentDetail) -> Text:
    if detail.chain_intact:
        return Text(
            f"✓ timeline hash chain verified ({len(detail.timeline)} events)", style="green"
        )
    return Text(
        f"✗ timeline hash chain broken at event {detail.broken_seq}: it was changed after it "
        "was written",
        style="bold red",
    )


def incident_page(detail: IncidentDetail) -> list[RenderableType]:
    """The header, the signals with their evidence, the actions and the verified timeline."""
    out: list[RenderableType] = [_header(detail)]
    if detail.signals:
        out.append(_signals_table(detail.signals, total=detail.signals_total))
    if detail.actions:
        out.append(actions_table(detail.actions))
    out.extend([_timeline_table(detail.timeline, detail.broken_seq), _chain_line(detail)])
    return out
