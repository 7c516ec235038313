"""Plain-text pieces shared by every drift rendering: the summary sentence and number format."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["drift_summary", "format_share", "format_value"]


def format_value(value: Any) -> str:
    """A statistic as text: four significant digits, ``n/a`` when missing or not finite."""
    if isinstance(value, bool) or value is None:
        return "n/a" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "n/a"
    return str(value)


def format_share(value: Any) -> str:
    """A share in [0, 1] as a percentage with one decimal."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return f"{100.0 * value:.1f}%"
    return "n/a"


def drift_summary(report: Mapping[str, Any]) -> str:
    """One sentence: how many columns drifted (and which), over how many current rows."""
    columns = report.get("columns") or []
    drifted = [str(name) for name in report.get("drifted_columns") or []]
    n_rows = report.get("n_rows")
    rows = f" over {n_rows:,} current rows" if isinstance(n_rows, int) else ""
    counted = f"{len(columns)} column{'' if len(columns) == 1 else 's'}"
    if drifted:
        return f"Drift in {len(drifted)} of {counted}{rows}: {', '.join(drifted)}."
    return f"No drift in {counted}{rows}."
