"""The Art. 73-style report as a document people read: Markdown, and one self-contained HTML page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from redline.forensics.postmortem_html import render_postmortem_html

__all__ = ["render_art73_html", "render_art73_markdown"]


def _cell(value: Any) -> str:
    return ("—" if value is None else str(value)).replace("|", "\\|").replace("\n", " ")


def _pairs(title: str, values: Mapping[str, Any]) -> list[str]:
    lines = ["", f"## {title}", "", "| field | value |", "| --- | --- |"]
    return lines + [f"| {_cell(k)} | {_cell(v)} |" for k, v in values.items()]


def _table(headers: list[str], rows: list[list[Any]], empty: str) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    body = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines + (body or ["| " + " | ".join([empty] + ["—"] * (len(headers) - 1)) + " |"])


def _sections(body: Mapping[str, Any]) -> list[str]:
    assessment = body["assessment"]
    clocks = [
        [f"{c['days']} days", c["applies_when"], c["deadline"], c["status"]]
        for c in assessment["clocks"]
    ]
    questions = [[q["question"], q["answer"], q["basis"]] for q in assessment["questions"]]
    actions = [
        [a["type"], a["status"], a["trigger"], a["applied_at"], a["verified_at"]]
        for a in body["actions"]
    ]
    evidence = {**body["evidence"], "snapshots": ", ".join(body["evidence"]["snapshots"]) or "none"}
    versions = ", ".join(body["ai_system"]["versions"]) or "—"
    lines = _pairs("Reporter", body["reporter"])
    lines += _pairs("AI system", {**body["ai_system"], "versions": versions})
    lines += _pairs("Incident", body["incident"])
    lines += ["", "## Deadlines", ""]
    lines += _table(["clock", "applies when", "deadline", "status"], clocks, "none")
    lines += ["", "## Reportability questions", ""]
    lines += _table(["question", "answer", "basis"], questions, "none")
    lines += _pairs("Causal analysis", body["causal_analysis"])
    lines += ["", "## Actions", ""]
    lines += _table(["action", "status", "trigger", "applied", "verified"], actions, "none")
    return lines + _pairs("Evidence", evidence) + _pairs("Sign-off", body["sign_off"])


def render_art73_markdown(document: Mapping[str, Any]) -> str:
    """The sealed Art. 73 document as Markdown: every field, the clocks, the questions, the hash."""
    body = document["payload"]
    lines = [
        f"# Serious incident report (EU AI Act Art. 73 style): {body['incident']['key']}",
        "",
        f"**{body['not_legal_advice']}**",
        "",
        f"Report type: {body['report_type']} (an initial, incomplete report is allowed). "
        f"Schema `{document['schema_version']}`, payload sha256 `{document['sha256']}`.",
    ]
    return "\n".join(lines + _sections(body)) + "\n"


def render_art73_html(document: Mapping[str, Any]) -> str:
    """The same document as one HTML page (no script, no external asset)."""
    key = document["payload"]["incident"]["key"]
    title = f"Serious incident report {key}"
    return render_postmortem_html(render_art73_markdown(document), {}, title=title)
