"""The ML sections of a post-mortem: lineage, subgroups, human review, decisions served."""

from __future__ import annotations

from collections import Counter

from redline.forensics.postmortem_blocks import Section, fmt_time, items, section, table, text
from redline.forensics.postmortem_facts import IncidentRecord

__all__ = ["decisions_section", "lineage_section", "review_section", "subgroup_section"]


def lineage_section(record: IncidentRecord) -> Section:
    """Versions served (deployment history) and what the snapshots recorded."""
    rows = [
        [d["version"], d["previous_version"] or "—", fmt_time(d["at"]), d["reason"]]
        for d in record.deployments[-10:]
    ]
    return section(
        "lineage",
        "Model lineage",
        [table(["version", "previous", "deployed", "why"], rows)],
        empty=f"no deployment history is stored for `{record.incident.model}`; "
        "register versions with `redline models` to trace them",
    )


def review_section(record: IncidentRecord) -> Section:
    """Human review volume and overrides."""
    decided = Counter(r["decision"] for r in record.reviews if r["decision"])
    pending = sum(1 for r in record.reviews if r["status"] == "pending")
    lines = [f"{n} {d}" for d, n in sorted(decided.items())]
    blocks = [
        text(f"{len(record.reviews)} items routed to people; {pending} still pending."),
        items(lines),
    ]
    return section(
        "review",
        "Human review",
        blocks if record.reviews else [],
        empty="no prediction was routed to human review during this incident",
    )


def decisions_section(record: IncidentRecord) -> Section:
    """Decisions the suspect model made in the impact window."""
    if record.decisions_served == 0:
        return section(
            "decisions",
            "Decisions in the impact window",
            [],
            empty="no predictions are stored for the impact window (a Guard keeps them with "
            "record_served=True), so the decisions it made cannot be counted",
        )
    label_note = (
        f"{record.labelled_rows} of the predictions served since the impact began have labels."
    )
    return section(
        "decisions",
        "Decisions in the impact window",
        [
            text(
                f"{record.decisions_served} decisions were served in the impact window. {label_note}"
            )
        ],
        empty="",
    )


def subgroup_section(record: IncidentRecord) -> Section:
    """Segments the triage report ranked by how much of the drift they carry."""
    report = (record.triage or {}).get("report") or {}
    segments = (report.get("input_isolation") or {}).get("segments") or []
    rows = [[s.get("name"), s.get("share"), s.get("shrinkage")] for s in segments[:5]]
    return section(
        "subgroups",
        "Subgroup impact",
        [table(["segment", "share", "drift shrinks by"], rows)],
        empty="no segment breakdown is stored (it comes with a triage report); "
        "a person should check the groups the model serves",
    )
