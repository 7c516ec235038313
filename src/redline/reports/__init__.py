"""Human-readable renderings of redline results (HTML drift reports, summaries)."""

from __future__ import annotations

from redline.reports.drift_html import render_drift_html
from redline.reports.gate_text import (
    finding_detail,
    finding_phrase,
    gate_findings_of,
    gate_summary,
)
from redline.reports.summary import drift_summary, format_share, format_value

__all__ = [
    "drift_summary",
    "finding_detail",
    "finding_phrase",
    "format_share",
    "format_value",
    "gate_findings_of",
    "gate_summary",
    "render_drift_html",
]
