"""An inline SVG line chart: a window statistic over time, its threshold, and timeline marks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any

__all__ = ["drift_chart_svg"]

_W, _H = 760, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 24, 56


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def _scale(lo: float, hi: float, out_lo: float, out_hi: float, value: float) -> float:
    return out_lo if hi == lo else out_lo + (value - lo) * (out_hi - out_lo) / (hi - lo)


def _line(points: Sequence[tuple[float, float]], colour: str, dash: str = "") -> str:
    if not points:
        return ""
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2"{extra} points="{path}"/>'


def drift_chart_svg(chart: Mapping[str, Any]) -> str:
    """The chart for ``content["chart"]``; a note instead when there are no points."""
    points = chart.get("points") or []
    if not points:
        return '<p class="note">No window statistic to chart.</p>'
    times = [datetime.fromisoformat(str(p["start"])).timestamp() for p in points]
    marks = [
        (datetime.fromisoformat(str(m["at"])).timestamp(), str(m["label"]))
        for m in chart.get("marks") or []
    ]
    t_lo = min(times + [t for t, _ in marks])
    t_hi = max(times + [t for t, _ in marks])
    values = [_number(p.get("value")) for p in points]
    limits = [_number(p.get("threshold")) or 0.0 for p in points]
    v_hi = max([v for v in values if v is not None] + limits + [1e-9]) * 1.1
    x0, x1, y0, y1 = _LEFT, _W - _RIGHT, _H - _BOTTOM, _TOP

    def xy(t: float, v: float) -> tuple[float, float]:
        return _scale(t_lo, t_hi, x0, x1, t), _scale(0.0, v_hi, y0, y1, v)

    series = [xy(t, v) for t, v in zip(times, values, strict=True) if v is not None]
    limit = [xy(t, v) for t, v in zip(times, limits, strict=True)]
    parts = [
        f'<line x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}" stroke="#888"/>',
        f'<line x1="{x0}" x2="{x0}" y1="{y0}" y2="{y1}" stroke="#888"/>',
        f'<text x="{x0 - 6}" y="{y1 + 4}" text-anchor="end">{v_hi:.3g}</text>',
        f'<text x="{x0 - 6}" y="{y0 + 4}" text-anchor="end">0</text>',
        _line(limit, "#7a8aa0", "6 4"),
        _line(series, "#d1495b"),
    ]
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#d1495b"/>' for x, y in series]
    for i, (t, label) in enumerate(marks):
        x = _scale(t_lo, t_hi, x0, x1, t)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="#2e7d32" '
            'stroke-dasharray="2 3"/>'
            f'<text x="{x:.1f}" y="{y0 + 16 + 12 * (i % 3)}" text-anchor="middle" '
            f'fill="#2e7d32">{escape(label)}</text>'
        )
    column = escape(str(chart.get("column") or "statistic"))
    title = f"{column}: window statistic (red) against its threshold (dashed grey)"
    return (
        f'<svg viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="{title}" font-size="11" font-family="sans-serif">'
        f"<title>{title}</title>{''.join(parts)}</svg>"
    )
