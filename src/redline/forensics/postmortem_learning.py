"""The learning sections of a post-mortem: data timeline, cause, response, backtest, changes."""

from __future__ import annotations

from typing import Any

from redline.forensics.backtest import BacktestRow, backtest_thresholds, first_alarm
from redline.forensics.postmortem_advice import Recommendation, infer_cause, response_times
from redline.forensics.postmortem_blocks import (
    Section,
    code,
    fmt_duration,
    fmt_time,
    items,
    section,
    table,
    text,
)
from redline.forensics.postmortem_facts import IncidentRecord
from redline.forensics.postmortem_playbook import playbook_diff, suggest_setting

__all__ = [
    "action_items_section",
    "backtest_section",
    "data_timeline_section",
    "playbook_section",
    "recommendation_section",
    "response_section",
    "root_cause_section",
    "run_backtest",
]

CONFIRM = "(to be confirmed by a person)"


def data_timeline_section(record: IncidentRecord) -> Section:
    """When the shift began, in which features and sources, with the statistic's chart."""
    if not record.series:
        return section("data_timeline", "Data timeline", [], empty=record.series_note)
    values = [p.value for p in record.series]
    first = first_alarm(values, record.series[0].threshold, 1)
    began = (
        f"The shift in `{record.column}` first crossed its threshold in the window starting "
        f"{fmt_time(record.series[first].start)}"
        if first is not None
        else f"`{record.column}` never crossed its threshold in the stored windows"
    )
    columns = sorted({s["column"] for s in record.signals if s["column"]})
    report = (record.triage or {}).get("report") or {}
    sources = [s.get("name") for s in (report.get("input_isolation") or {}).get("sources") or []]
    facts = [f"{began}.", f"Columns with signals: {', '.join(columns) or 'none'}."]
    if sources:
        facts.append(f"Sources ranked by the triage report: {', '.join(map(str, sources[:5]))}.")
    return section("data_timeline", "Data timeline", [items(facts), {"chart": "drift"}], empty="")


def root_cause_section(record: IncidentRecord, advice: Recommendation) -> Section:
    """The likely cause, its source and evidence, marked as a proposal."""
    cause, source = infer_cause(record)
    verdict = ((record.triage or {}).get("report") or {}).get("likely_cause") or {}
    evidence = verdict.get("evidence") if isinstance(verdict, dict) else None
    blocks = [
        text(f"Likely cause: **{cause.replace('_', ' ')}**, from the {source} {CONFIRM}."),
        items([str(e) for e in evidence or []]),
        text(
            "Why offline evaluation missed it: the reference the model was checked against "
            f"holds no data like the impact window's {CONFIRM}."
        ),
    ]
    return section("root_cause", "Root cause", blocks, empty="")


def response_section(record: IncidentRecord) -> Section:
    """What went well, badly and luckily, derived from response times against SLAs."""
    well: list[str] = []
    badly: list[str] = []
    for m in response_times(record):
        line = f"time to {m['measure']}: {fmt_duration(m['seconds'])}"
        if m["sla_s"] is not None:
            line += f" (SLA {fmt_duration(m['sla_s'])})"
        (badly if m["met"] is False or m["seconds"] is None else well).append(line)
    if any(a["status"] == "verified" for a in record.actions):
        well.append("containment was verified against live traffic")
    if any(a["status"] == "failed" for a in record.actions):
        badly.append("a containment action failed")
    if not record.snapshots:
        badly.append("no forensic snapshot was captured before the change")
    lucky = [] if record.decisions_served else ["no stored predictions: the impact is unmeasured"]
    blocks = [text("Went well:"), items(well), text("Went badly:"), items(badly)]
    blocks += [text("Lucky:"), items(lucky or ["nothing recorded; a person may add to this"])]
    return section("response", "What went well, badly, lucky", blocks, empty="")


def recommendation_section(advice: Recommendation) -> Section:
    """Retrain versus patch, with the reasons."""
    return section(
        "retrain_or_patch",
        "Retrain versus patch",
        [text(f"Recommendation: **{advice.decision}** {CONFIRM}."), items(advice.reasons)],
        empty="",
    )


def run_backtest(record: IncidentRecord, persistence: int = 2) -> list[BacktestRow]:
    """The threshold backtest on the incident's series, or nothing when there is no series."""
    values = [p.value for p in record.series]
    if not values or record.series[0].threshold <= 0:
        return []
    return backtest_thresholds(
        values,
        [p.value for p in record.quiet],
        threshold=record.series[0].threshold,
        persistence=persistence,
        window_s=record.window_s,
    )


def backtest_section(record: IncidentRecord, rows: list[BacktestRow]) -> Section:
    """Each replayed setting: windows earlier or later, false alarms per month."""
    if not rows:
        return section(
            "backtest", "Threshold backtest", [], empty=f"nothing to replay: {record.series_note}"
        )
    table_rows = [
        [
            f"x{r.factor:g}" + (" (current)" if r.current else ""),
            f"{r.threshold:.4g}",
            r.persistence,
            "never" if r.fired_at is None else fmt_time(record.series[r.fired_at].start),
            "—" if r.windows_earlier is None else f"{r.windows_earlier:+d}",
            r.false_alarms,
            "unknown" if r.false_alarms_per_month is None else f"{r.false_alarms_per_month:.2f}",
        ]
        for r in rows
    ]
    basis = (
        f"`{record.column}` over {len(record.series)} incident windows and {len(record.quiet)} "
        f"quiet windows of {fmt_duration(record.window_s)}; + means earlier than today."
    )
    headers = [
        "threshold",
        "value",
        "persistence",
        "fires at",
        "windows",
        "false alarms",
        "per month",
    ]
    return section(
        "backtest", "Threshold backtest", [text(basis), table(headers, table_rows)], empty=""
    )


def playbook_section(
    record: IncidentRecord, rows: list[BacktestRow], playbook_text: str | None
) -> Section:
    """A suggested change to the monitor's settings, as a diff when the playbook is given."""
    suggestion = suggest_setting(rows)
    if suggestion is None:
        return section(
            "playbook",
            "Suggested playbook changes",
            [],
            empty="none: no replayed setting fires earlier within the false-alarm budget"
            if rows
            else "none: there was no series to backtest",
        )
    monitor = next((s["monitor"] for s in record.signals if s["column"] == record.column), "")
    blocks: list[dict[str, Any]] = [text(suggestion.text + ".")]
    if suggestion.overrides and playbook_text is not None:
        diff = playbook_diff(
            playbook_text,
            model=record.incident.model,
            monitor=monitor,
            overrides=suggestion.overrides,
        )
        blocks.append(code(diff, "diff"))
    elif suggestion.overrides:
        keys = ", ".join(
            f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}"
            for k, v in suggestion.overrides.items()
        )
        blocks.append(
            text(
                f"Set `models.{record.incident.model}.monitors.{monitor}` to {{{keys}}} "
                "(no playbook was given, so no diff)."
            )
        )
    return section("playbook", "Suggested playbook changes", blocks, empty="")


def action_items_section(record: IncidentRecord, advice: Recommendation) -> Section:
    """Mitigate, prevent, detect, process: proposals for a person to own."""
    rows = [
        ["mitigate", f"{advice.decision} for `{record.incident.model}`", "unassigned"],
        ["prevent", f"address the {advice.cause.replace('_', ' ')} at its source", "unassigned"],
        ["detect", "review the threshold backtest and the suggested playbook change", "unassigned"],
    ]
    if record.decisions_served:
        rows.append(
            [
                "process",
                f"review the {record.decisions_served} decisions served in the impact window",
                "unassigned",
            ]
        )
    if not record.snapshots:
        rows.append(["process", "enable forensic snapshots before containment", "unassigned"])
    return section(
        "action_items", "Action items", [table(["kind", "item", "owner"], rows)], empty=""
    )
