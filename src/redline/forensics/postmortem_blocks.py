"""The building blocks of a post-mortem: sections of text, lists, tables, code and charts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "Block",
    "Section",
    "code",
    "fmt_duration",
    "fmt_time",
    "items",
    "section",
    "table",
    "text",
]

Block = dict[str, Any]
Section = dict[str, Any]


def fmt_time(at: datetime | None) -> str:
    """``2026-11-27 14:03:05Z``, or "not recorded"."""
    return "not recorded" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def fmt_duration(seconds: float | None) -> str:
    """``1h 3m``, ``45s``; "not reached" for None."""
    if seconds is None:
        return "not reached"
    left = round(max(seconds, 0.0))
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if left >= size:
            parts.append(f"{left // size}{unit}")
            left %= size
    if left or not parts:
        parts.append(f"{left}s")
    return " ".join(parts[:2])


def text(value: str) -> Block:
    """A paragraph."""
    return {"text": value}


def items(values: Sequence[str]) -> Block:
    """A bulleted list."""
    return {"items": [str(v) for v in values]}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Block:
    """A table; cells become strings."""
    return {"table": {"headers": list(headers), "rows": [[_cell(c) for c in r] for r in rows]}}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def code(value: str, lang: str = "") -> Block:
    """A fenced code block."""
    return {"code": value, "lang": lang}


def section(ident: str, title: str, blocks: Sequence[Block], *, empty: str) -> Section:
    """A section; with no blocks it says why (``empty``) rather than stand empty."""
    kept = [b for b in blocks if "chart" in b or _has_content(b)]
    return {"id": ident, "title": title, "blocks": kept or [text(empty)]}


def _has_content(block: Block) -> bool:
    rows = block.get("table", {}).get("rows")
    return bool(block.get("text") or block.get("items") or block.get("code") or rows)
