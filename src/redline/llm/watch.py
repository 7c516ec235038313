"""What the window thread watches in LLM calls besides the metric columns: one call at a time in,
signals out when the window closes. Each watch keeps its own per-window tallies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from redline.domain import Signal
from redline.profiles.reference import Reference
from redline.profiles.specs import NumericSpec
from redline.profiles.window import WindowProfile

__all__ = ["MAX_IDS", "CallWatch", "excerpt", "flag_rate"]

#: Evidence lists stay short enough to store whole.
MAX_IDS = 50

#: Characters of a prompt an evidence excerpt keeps: enough to recognise an attack, too few to
#: carry a customer's whole message into the incident record.
EXCERPT_CHARS = 80


class CallWatch(Protocol):
    """Tallies calls as the window thread derives them; signals when the window closes."""

    def add(self, call: Mapping[str, Any], metrics: Mapping[str, Any]) -> None:
        """Count one recorded call (its raw fields) with its derived metric columns."""
        ...

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """Signals for the calls added since the last call; the tallies start again."""
        ...


def excerpt(text: Any, limit: int = EXCERPT_CHARS) -> str:
    """The first ``limit`` characters of ``text`` on one line (an ellipsis when cut)."""
    if not isinstance(text, str):
        return ""
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def flag_rate(reference: Reference, column: str, threshold: float) -> float | None:
    """Share of the reference's values of ``column`` at or over ``threshold`` (None: unknown)."""
    spec = reference.columns.get(column)
    if not isinstance(spec, NumericSpec) or spec.counts.sum() == 0:
        return None
    if spec.max < threshold:
        return 0.0
    # bins wholly below the threshold; the bin that straddles it counts as over (conservative)
    below = spec.counts[: int((spec.edges <= threshold).sum())].sum()
    return float(1.0 - below / spec.counts.sum())
