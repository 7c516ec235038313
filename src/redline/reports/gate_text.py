"""The data gate in words: one phrase per integrity finding, a detail, and the summary line."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from redline.reports.summary import format_share, format_value

__all__ = ["finding_detail", "finding_phrase", "gate_findings_of", "gate_summary"]

#: Findings named in the summary line; the rest are counted ("and 17 more").
SUMMARY_LIMIT = 5

Finding = Mapping[str, Any]


def _percent(value: Any) -> str:
    """A share with up to four significant digits, so 99.97% never reads as 100%."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return f"{100.0 * value:.4g}%"
    return "n/a"


def _null_jump(f: Finding) -> str:
    current = (f.get("evidence") or {}).get("null_share")
    value = f.get("value")
    if isinstance(current, int | float) and isinstance(value, int | float):
        return f"{_percent(current)} nulls in {_q(f)} (reference {_percent(current - value)})"
    return f"more nulls in {_q(f)}"


def _out_of_range(f: Finding) -> str:
    ev = f.get("evidence") or {}
    lo, hi = format_value(ev.get("reference_min")), format_value(ev.get("reference_max"))
    return f"{_percent(f.get('value'))} out of range in {_q(f)} (reference {lo} to {hi})"


def _q(f: Finding) -> str:
    return repr(str(f.get("column") or ""))


_PHRASES: dict[str, Callable[[Finding], str]] = {
    "zero_rows": lambda f: "0 rows",
    "missing_column": lambda f: f"missing column {_q(f)}",
    "extra_column": lambda f: f"extra column {_q(f)} (not in the reference)",
    "null_jump": _null_jump,
    "type_violation": lambda f: f"{_percent(f.get('value'))} unparseable in {_q(f)}",
    "out_of_range": _out_of_range,
    "unseen_categories": lambda f: f"{_percent(f.get('value'))} more unseen values in {_q(f)}",
    "mapping_error": lambda f: f"remapped categories in {_q(f)}",
}


#: Kinds whose findings share one phrase in the summary when there are several.
_GROUPED = {"missing_column": "missing columns", "extra_column": "extra columns"}


def finding_phrase(finding: Finding) -> str:
    """A few words for one finding, e.g. ``30% nulls in 'y' (reference 0%)``."""
    phrase = _PHRASES.get(str(finding.get("kind")))
    if phrase is not None:
        return phrase(finding)
    column = f" in {_q(finding)}" if finding.get("column") else ""
    return f"{str(finding.get('kind') or 'finding').replace('_', ' ')}{column}"


def finding_detail(finding: Finding) -> str:
    """What the rows show: remapped labels with their shares, an observed range, unseen values."""
    ev = finding.get("evidence") or {}
    labels = ev.get("labels") or []
    if labels:
        return ", ".join(
            f"{lab.get('label')}: {format_share(lab.get('reference'))} -> "
            f"{format_share(lab.get('current'))}"
            for lab in labels
        )
    if finding.get("kind") == "out_of_range" and ("min" in ev or "max" in ev):
        return f"seen {format_value(ev.get('min'))} to {format_value(ev.get('max'))}"
    unseen = ev.get("top_unseen") or []
    if unseen:
        return "unseen: " + ", ".join(str(_label(item)) for item in unseen[:5])
    return ""


def _label(item: Any) -> Any:
    return item[0] if isinstance(item, list | tuple) and item else item


def gate_findings_of(report: Mapping[str, Any]) -> list[Finding]:
    """The gate's findings in a report dict (its integrity signals for a report without a gate)."""
    gate = report.get("gate")
    if isinstance(gate, Mapping):
        return list(gate.get("findings") or [])
    return [{**s, "fails": False} for s in report.get("integrity") or []]


def _limited(items: list[str]) -> str:
    more = f" and {len(items) - SUMMARY_LIMIT} more" if len(items) > SUMMARY_LIMIT else ""
    return ", ".join(items[:SUMMARY_LIMIT]) + more


def _phrases(findings: list[Finding]) -> list[str]:
    """One phrase per finding, in order, except that several missing (or extra) columns share one."""
    names: dict[str, list[str]] = {}
    for f in findings:
        names.setdefault(str(f.get("kind")), []).append(_q(f))
    out: list[str] = []
    for f in findings:
        kind = str(f.get("kind"))
        if kind not in _GROUPED or len(names[kind]) == 1:
            out.append(finding_phrase(f))
        elif names[kind]:
            out.append(f"{len(names[kind])} {_GROUPED[kind]} ({_limited(names[kind])})")
            names[kind] = []
    return out


def _sentence(findings: list[Finding], noun: str) -> str:
    count = len(findings)
    return f"{count} integrity {noun}{'' if count == 1 else 's'}: {_limited(_phrases(findings))}."


def gate_summary(report: Mapping[str, Any]) -> str | None:
    """``3 integrity failures: missing column 'x', ...`` (then warnings), or None when clean."""
    findings = gate_findings_of(report)
    failing = [f for f in findings if f.get("fails")]
    warning = [f for f in findings if not f.get("fails")]
    parts = [_sentence(failing, "failure")] if failing else []
    if warning:
        parts.append(_sentence(warning, "warning"))
    return " ".join(parts) or None
