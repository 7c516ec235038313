"""Human-readable renderings of redline results (HTML drift reports, summaries)."""

from __future__ import annotations

from redline.reports.drift_html import render_drift_html
from redline.reports.summary import drift_summary, format_share, format_value

__all__ = ["drift_summary", "format_share", "format_value", "render_drift_html"]
