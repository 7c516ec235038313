"""Plain-text pieces shared by every drift rendering: the summary sentence and number format."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["drift_summary", "format_share", "format_value", "untested_columns"]


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


def untested_columns(report: Mapping[str, Any]) -> list[str]:
    """Names of the columns with too few rows for a drift test."""
    return [str(c.get("name")) for c in report.get("columns") or [] if c.get("tested") is False]


def _listed(names: list[str], most: int = 5) -> str:
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def drift_summary(report: Mapping[str, Any]) -> str:
    """One sentence: how many columns drifted (and which), over how many current rows.

    Columns with too few rows for a test are named as not tested, never counted as clean.
    """
    columns = report.get("columns") or []
    drifted = [str(name) for name in report.get("drifted_columns") or []]
    untested = untested_columns(report)
    n_rows = report.get("n_rows")
    rows = f" over {n_rows:,} current rows" if isinstance(n_rows, int) else ""
    counted = f"{len(columns)} column{'' if len(columns) == 1 else 's'}"
    if untested and len(untested) == len(columns):
        return f"Not tested: {counted}{rows}; too few rows for a drift test."
    if drifted:
        head = f"Drift in {len(drifted)} of {counted}{rows}: {', '.join(drifted)}."
    elif untested:
        head = f"{len(columns) - len(untested)} of {counted} tested{rows}, none drifted."
    else:
        return f"No drift in {counted}{rows}."
    return f"{head} Not tested (too few rows): {_listed(untested)}." if untested else head
