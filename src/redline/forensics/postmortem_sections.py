"""The factual sections of a post-mortem, each filled from what the store holds about the incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redline.forensics.postmortem_blocks import (
    Section,
    fmt_duration,
    fmt_time,
    items,
    section,
    table,
    text,
)
from redline.forensics.postmortem_facts import IncidentRecord
from redline.forensics.postmortem_readable import describe

__all__ = [
    "containment_section",
    "detection_section",
    "impact_section",
    "resolution_section",
    "snapshots_section",
    "summary_section",
    "timeline_section",
    "triage_section",
]


def _signal_groups(signals: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The incident's signals, one group per detector and column, in order of first seen."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for s in signals:
        groups.setdefault((s["kind"], s["monitor"], s["source"], s["column"]), []).append(s)
    return sorted(groups.values(), key=lambda g: min(_seen(s) for s in g))


def _seen(signal: dict[str, Any]) -> datetime:
    seen: datetime = signal["window_end"] or signal["created_at"]
    return seen


def _signal_row(group: list[dict[str, Any]]) -> list[Any]:
    peak = max(group, key=lambda s: float(s["value"]))
    return [
        peak["kind"],
        peak["column"] or "—",
        f"{peak['statistic']} {peak['value']:.4g}",
        f"{peak['threshold']:.4g}",
        peak["level"],
        len(group),
        fmt_time(min(_seen(s) for s in group)),
        fmt_time(max(_seen(s) for s in group)),
        describe(peak["evidence"]) if peak["evidence"] else "—",
    ]


def summary_section(record: IncidentRecord) -> Section:
    """What happened, to which model, how bad, and where it stands."""
    row = record.incident
    lines = [
        f"{row.key} ({row.severity}, {row.category}): {row.title}.",
        f"Model `{row.model}`; status {row.status}; detected {fmt_time(row.detected_at)}; "
        f"resolved {fmt_time(row.resolved_at)}"
        + (f" ({row.resolution_reason})" if row.resolution_reason else "")
        + ".",
    ]
    return section("summary", "Summary", [text(" ".join(lines))], empty="")


def impact_section(record: IncidentRecord) -> Section:
    """Duration, windows, rows and decisions served in the impact window."""
    windows = record.impact_windows
    span = (record.impact_end - record.impact_start).total_seconds()
    facts = [
        f"Impact window: {fmt_time(record.impact_start)} to {fmt_time(record.impact_end)} "
        f"({fmt_duration(span)}).",
        f"Decisions served by `{record.incident.model}` in it (stored predictions): "
        f"{record.decisions_served}, of which {record.decisions_primary} by the primary model.",
    ]
    if windows:
        facts.append(
            f"Windows replayed in it: {len(windows)} with {sum(p.n_rows for p in windows)} rows."
        )
    signal_rows = sum(int(s["n_rows"] or 0) for s in record.signals)
    facts.append(f"Rows behind the incident's {len(record.signals)} signals: {signal_rows}.")
    who = "Everyone served by the model in the impact window; a person should name the groups."
    return section("impact", "Impact", [items(facts), text(who)], empty="")


def detection_section(record: IncidentRecord) -> Section:
    """Which detectors fired, on what evidence, and how long after the impact began."""
    groups = _signal_groups(list(record.signals))
    rows = [_signal_row(g) for g in groups[:30]]
    people = [s for s in record.signals if s["source"] == "person"]
    after = (record.incident.detected_at - record.impact_start).total_seconds()
    lead = text(
        f"Detected {fmt_duration(after)} after the impact began "
        f"({'a person reported it' if people else 'by redline monitors, not a person'})."
    )
    headers = [
        "signal",
        "column",
        "peak",
        "threshold",
        "level",
        "windows",
        "first seen",
        "last seen",
        "evidence at the peak",
    ]
    shown = (
        f"{len(record.signals)} signals from {len(groups)} detectors and columns"
        + (f"; the first 30 of {len(groups)} are listed" if len(groups) > 30 else "")
        + "."
    )
    return section(
        "detection",
        "Detection",
        [lead, text(shown), table(headers, rows)],
        empty="no signal is linked to this incident",
    )


def triage_section(record: IncidentRecord) -> Section:
    """The latest triage report: likely cause, confidence, and the top attributions."""
    if record.triage is None:
        return section(
            "triage", "Triage", [], empty="no triage report was stored for this incident"
        )
    report = record.triage["report"]
    verdict = report.get("likely_cause") if isinstance(report.get("likely_cause"), dict) else {}
    isolation = report.get("input_isolation") or {}
    blocks = [
        text(
            f"Likely cause: {record.triage['likely_cause']} (confidence "
            f"{float(record.triage['confidence']):.2f}), reported "
            f"{fmt_time(record.triage['created_at'])}."
        ),
        items([str(e) for e in verdict.get("evidence") or []]),
        table(
            ["feature", "share of the drift"],
            [
                [f.get("feature"), f"{float(f.get('share', 0)):.2f}"]
                for f in (isolation.get("features") or [])[:5]
            ],
        ),
        table(
            ["source", "share", "usual share", "drift shrinks by"],
            [
                [s.get("name"), s.get("share"), s.get("usual_share"), s.get("shrinkage")]
                for s in (isolation.get("sources") or [])[:5]
            ],
        ),
    ]
    return section("triage", "Triage", blocks, empty="")


def containment_section(record: IncidentRecord) -> Section:
    """Each action with its status, times and verification; time to contain."""
    rows = [
        [
            a["type"],
            a["status"],
            a["trigger"],
            fmt_time(a["requested_at"]),
            fmt_time(a["applied_at"]),
            fmt_time(a["verified_at"]),
            describe(a["verification"] or a["error"] or "—"),
        ]
        for a in record.actions
    ]
    row = record.incident
    contain = (row.contained_at - row.detected_at).total_seconds() if row.contained_at else None
    headers = ["action", "status", "trigger", "requested", "applied", "verified", "verification"]
    return section(
        "containment",
        "Containment",
        [table(headers, rows), text(f"Time to contain: {fmt_duration(contain)}.")] if rows else [],
        empty="no containment action was taken: the severity's runbook has none, "
        "or nobody requested one",
    )


def snapshots_section(record: IncidentRecord) -> Section:
    """The forensic snapshots taken, with how to verify them."""
    rows = [
        [
            s["id"][:12],
            s["reason"],
            fmt_time(s["taken_at"]),
            f"redline snapshot verify {s['id'][:12]}",
        ]
        for s in record.snapshots
    ]
    skipped = [e for e in record.timeline if e["kind"] == "snapshot_skipped"]
    empty = "no forensic snapshot was stored for this incident" + (
        f" ({skipped[0]['details'].get('reason')})" if skipped else ""
    )
    return section(
        "snapshots",
        "Forensic snapshots",
        [table(["snapshot", "reason", "taken", "verify with"], rows)],
        empty=empty,
    )


def resolution_section(record: IncidentRecord) -> Section:
    """How the incident ended."""
    row = record.incident
    if row.resolved_at is None:
        return section(
            "resolution", "Resolution", [], empty=f"not resolved yet (status {row.status})"
        )
    reason = row.resolution_reason or "no reason recorded"
    return section(
        "resolution",
        "Resolution",
        [text(f"Resolved {fmt_time(row.resolved_at)}: {reason}.")],
        empty="",
    )


def timeline_section(record: IncidentRecord) -> Section:
    """The hash-chained timeline, generated."""
    rows = [
        [e["seq"], fmt_time(e["at"]), e["actor"], e["kind"], describe(e["details"])]
        for e in record.timeline[:200]
    ]
    state = "intact" if record.chain_intact else "BROKEN: an entry does not match its hash"
    return section(
        "timeline",
        "Timeline",
        [
            text(f"{len(record.timeline)} events; hash chain {state}."),
            table(["#", "at", "actor", "event", "details"], rows),
        ],
        empty="the timeline is empty",
    )
