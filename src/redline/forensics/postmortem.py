"""Build a post-mortem from an incident's record, and render it as Markdown.

The template is INCIDENTS.md's: summary, impact, detection, triage, containment, evidence,
resolution, timeline, the ML sections, what went well or badly, the retrain-versus-patch
decision, a threshold backtest, suggested playbook changes, action items. No heading is empty:
a section without content says why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from redline.domain.timeline import canonical_json
from redline.forensics.postmortem_advice import recommend
from redline.forensics.postmortem_blocks import Block, Section, fmt_time
from redline.forensics.postmortem_facts import IncidentRecord
from redline.forensics.postmortem_html import CHART_PLACEHOLDER
from redline.forensics.postmortem_learning import (
    action_items_section,
    backtest_section,
    data_timeline_section,
    playbook_section,
    recommendation_section,
    response_section,
    root_cause_section,
    run_backtest,
)
from redline.forensics.postmortem_ml import (
    decisions_section,
    lineage_section,
    review_section,
    subgroup_section,
)
from redline.forensics.postmortem_sections import (
    containment_section,
    detection_section,
    impact_section,
    resolution_section,
    snapshots_section,
    summary_section,
    timeline_section,
    triage_section,
)

__all__ = ["POSTMORTEM_SCHEMA", "build_postmortem", "render_markdown"]

POSTMORTEM_SCHEMA = "redline.postmortem/1"
#: Timeline events marked on the chart, and their labels.
_MARKS = {"opened": "opened", "action_applied": "action", "action_verified": "verified"}


def _marks(record: IncidentRecord) -> list[dict[str, str]]:
    marks = []
    for event in record.timeline:
        label = _MARKS.get(event["kind"])
        if event["kind"] == "status":
            label = str(event["details"].get("to"))
        if label:
            marks.append({"at": event["at"].isoformat(), "label": label})
    return marks


def _chart(record: IncidentRecord) -> dict[str, Any]:
    return {
        "column": record.column,
        "points": [
            {"start": p.start.isoformat(), "value": p.value, "threshold": p.threshold}
            for p in record.series
        ],
        "marks": _marks(record),
    }


def build_postmortem(
    record: IncidentRecord, *, now: datetime, playbook_text: str | None = None
) -> dict[str, Any]:
    """The post-mortem as JSON-ready content: sections, chart data, advice, backtest."""
    advice = recommend(record)
    rows = run_backtest(record)
    sections: list[Section] = [
        summary_section(record),
        impact_section(record),
        detection_section(record),
        triage_section(record),
        containment_section(record),
        snapshots_section(record),
        resolution_section(record),
        timeline_section(record),
        lineage_section(record),
        data_timeline_section(record),
        subgroup_section(record),
        review_section(record),
        decisions_section(record),
        root_cause_section(record, advice),
        response_section(record),
        recommendation_section(advice),
        backtest_section(record, rows),
        playbook_section(record, rows, playbook_text),
        action_items_section(record, advice),
    ]
    content = {
        "schema": POSTMORTEM_SCHEMA,
        "incident": record.key,
        "title": record.incident.title,
        "model": record.incident.model,
        "severity": record.incident.severity,
        "generated_at": now.isoformat(),
        "sections": sections,
        "chart": _chart(record),
        "recommendation": advice.to_dict(),
        "backtest": [r.to_dict() for r in rows],
    }
    # Round-trip through canonical JSON: what is stored is exactly what was rendered.
    loaded: dict[str, Any] = json.loads(canonical_json(content))
    return loaded


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def _block_markdown(block: Block) -> str:
    if "text" in block:
        return str(block["text"])
    if "items" in block:
        return "\n".join(f"- {item}" for item in block["items"])
    if "table" in block:
        head, rows = block["table"]["headers"], block["table"]["rows"]
        lines = ["| " + " | ".join(_cell(h) for h in head) + " |", "|" + " --- |" * len(head)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    if "code" in block:
        return f"```{block.get('lang', '')}\n{str(block['code']).rstrip()}\n```"
    if "chart" in block:
        return CHART_PLACEHOLDER
    return ""


def render_markdown(content: Mapping[str, Any]) -> str:
    """The post-mortem as Markdown, one ``##`` heading per section."""
    generated = datetime.fromisoformat(str(content["generated_at"]))
    lines = [
        f"# Post-mortem {content['incident']}: {content['title']}",
        "",
        f"_Draft generated by redline at {fmt_time(generated)}. Blameless: it describes "
        "systems and decisions, not people. Statements marked (to be confirmed by a person) "
        "are proposals._",
    ]
    for sec in content["sections"]:
        lines += ["", f"## {sec['title']}", ""]
        lines.append("\n\n".join(_block_markdown(b) for b in sec["blocks"]))
    return "\n".join(lines) + "\n"
