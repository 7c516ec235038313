"""From a threshold backtest to a suggested playbook change, as a unified diff."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from redline.forensics.backtest import BacktestRow

__all__ = ["FALSE_ALARM_BUDGET_PER_MONTH", "Suggestion", "playbook_diff", "suggest_setting"]

#: False alarms a month a team accepts from one monitor (DETECTION.md: budgets, not p-values).
FALSE_ALARM_BUDGET_PER_MONTH = 1.0


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A monitor setting worth changing, why, and the playbook keys that express it."""

    text: str
    overrides: dict[str, Any]  # monitor keyword arguments; empty: nothing a playbook can set


def _fmt(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.2f}"


def suggest_setting(
    rows: Sequence[BacktestRow], *, budget: float = FALSE_ALARM_BUDGET_PER_MONTH
) -> Suggestion | None:
    """The setting that fires earliest within the false-alarm budget, if better than today's."""
    current = next((r for r in rows if r.current), None)
    affordable = [
        r
        for r in rows
        if not r.current
        and r.windows_earlier is not None
        and r.windows_earlier > 0
        and r.false_alarms_per_month is not None
        and r.false_alarms_per_month <= budget
    ]
    # Ties go to the setting nearest today's: a persistence change before a new threshold.
    best = max(
        affordable, key=lambda r: (r.windows_earlier or 0, -abs(r.factor - 1.0)), default=None
    )
    if best is not None:
        what = (
            f"threshold x{best.factor:g} with persistence {best.persistence} would have fired "
            f"{best.windows_earlier} window(s) earlier at {_fmt(best.false_alarms_per_month)} "
            "false alarms per month"
        )
        if best.factor == 1.0:
            return Suggestion(what, {"persistence": best.persistence})
        if best.factor > 1.0:
            return Suggestion(what, {"persistence": best.persistence, "floor": best.threshold})
        return Suggestion(
            what + "; a lower threshold means re-fitting the reference with a larger alpha", {}
        )
    noisy = current is not None and (current.false_alarms_per_month or 0.0) > budget
    calmer = [r for r in rows if r.factor > 1.0 and r.windows_earlier is not None]
    if noisy and calmer:
        pick = min(calmer, key=lambda r: (-(r.windows_earlier or 0), r.false_alarms))
        text = (
            f"the current setting raises {_fmt(current.false_alarms_per_month if current else None)} "
            f"false alarms per month; threshold x{pick.factor:g} still fired on this incident "
            f"({pick.windows_earlier:+d} windows) at {_fmt(pick.false_alarms_per_month)}"
        )
        return Suggestion(text, {"persistence": pick.persistence, "floor": pick.threshold})
    return None


def playbook_diff(text: str, *, model: str, monitor: str, overrides: dict[str, Any]) -> str:
    """A unified diff of the playbook (normalised YAML) with ``overrides`` set on one monitor."""
    before = yaml.safe_load(text) or {}
    after = yaml.safe_load(text) or {}
    models = after.setdefault("models", {})
    entry = models.setdefault(model, {})
    monitors = entry.get("monitors") or {}
    current = monitors.get(monitor)
    settings = dict(current) if isinstance(current, dict) else {}
    settings.update({k: round(v, 6) if isinstance(v, float) else v for k, v in overrides.items()})
    monitors[monitor] = settings
    entry["monitors"] = monitors

    def dump(data: Any) -> list[str]:
        return yaml.safe_dump(data, sort_keys=False).splitlines(keepends=True)

    return "".join(
        difflib.unified_diff(dump(before), dump(after), "redline.yaml", "redline.yaml (suggested)")
    )
