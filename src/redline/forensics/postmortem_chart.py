"""An inline SVG line chart: a window statistic over time against its threshold, on a time axis,
with the incident's phases (detected, declared, contained, resolved) and a legend."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

__all__ = ["PHASES", "drift_chart_svg", "time_ticks"]

_W, _H = 760, 330
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 56, 48
_STAT, _LIMIT, _MARK = "#d1495b", "#7a8aa0", "#9aa3ad"
#: The phases shown as lines and legend entries: (timeline label, shown as, colour).
PHASES: tuple[tuple[str, str, str], ...] = (
    ("opened", "detected", "#b26a00"),
    ("declared", "declared", "#6a3d9a"),
    ("contained", "contained", "#1f78b4"),
    ("resolved", "resolved", "#2e7d32"),
)
#: The shortest time the axis spans, in seconds.
_MIN_SPAN_S = 240.0
#: Tick spacings to choose from, in seconds: the first giving at most eight ticks wins.
_STEPS_S = (60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400, 604_800)


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


def time_ticks(t_lo: float, t_hi: float) -> list[tuple[float, str]]:
    """Round times (Unix seconds) across ``t_lo``–``t_hi`` with their UTC labels.

    >>> [label for _, label in time_ticks(0.0, 600.0)]
    ['00:00', '00:02', '00:04', '00:06', '00:08', '00:10']
    """
    span = max(t_hi - t_lo, 1.0)
    step = next((s for s in _STEPS_S if span / s <= 8), _STEPS_S[-1])
    first = -(-t_lo // step) * step
    fmt = "%H:%M" if span < 86_400 and step < 86_400 else "%m-%d %H:%M"
    ticks, t = [], first
    while t <= t_hi + 1e-6:
        ticks.append((t, datetime.fromtimestamp(t, UTC).strftime(fmt)))
        t += step
    return ticks


def _phases(marks: Sequence[tuple[float, str]]) -> list[tuple[float, str, str]]:
    """The first time each phase was reached: (time, name, colour)."""
    out = []
    for label, name, colour in PHASES:
        times = [t for t, mark in marks if mark == label]
        if times:
            out.append((min(times), name, colour))
    return out


def _legend(entries: Sequence[tuple[str, str, str]]) -> str:
    """One row above the plot: a short line per entry and its text."""
    parts, x = [], float(_LEFT)
    for text, colour, dash in entries:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x:.0f}" x2="{x + 18:.0f}" y1="16" y2="16" stroke="{colour}" '
            f'stroke-width="2"{extra}/><text x="{x + 22:.0f}" y="20">{escape(text)}</text>'
        )
        x += 30 + 6.2 * len(text)
    return f'<g class="legend">{"".join(parts)}</g>'


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
    if t_hi - t_lo < _MIN_SPAN_S:  # one window, or all within seconds: still a readable axis
        middle = (t_lo + t_hi) / 2
        t_lo, t_hi = middle - _MIN_SPAN_S / 2, middle + _MIN_SPAN_S / 2
    values = [_number(p.get("value")) for p in points]
    limits = [_number(p.get("threshold")) or 0.0 for p in points]
    v_hi = max([v for v in values if v is not None] + limits + [1e-9]) * 1.1
    x0, x1, y0, y1 = _LEFT, _W - _RIGHT, _H - _BOTTOM, _TOP

    def x_of(t: float) -> float:
        return _scale(t_lo, t_hi, x0, x1, t)

    def xy(t: float, v: float) -> tuple[float, float]:
        return x_of(t), _scale(0.0, v_hi, y0, y1, v)

    series = [xy(t, v) for t, v in zip(times, values, strict=True) if v is not None]
    limit = [xy(t, v) for t, v in zip(times, limits, strict=True)]
    parts = [
        f'<line x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}" stroke="#888"/>',
        f'<line x1="{x0}" x2="{x0}" y1="{y0}" y2="{y1}" stroke="#888"/>',
        f'<text x="{x0 - 6}" y="{y1 + 4}" text-anchor="end">{v_hi:.3g}</text>',
        f'<text x="{x0 - 6}" y="{y0 + 4}" text-anchor="end">0</text>',
    ]
    for t, label in time_ticks(t_lo, t_hi):
        x = x_of(t)
        parts.append(
            f'<line class="tick" x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y0 + 5}" stroke="#888"/>'
            f'<text class="tick" x="{x:.1f}" y="{y0 + 18}" text-anchor="middle">{label}</text>'
        )
    parts.append(
        f'<text x="{(x0 + x1) / 2:.0f}" y="{_H - 8}" text-anchor="middle" fill="#555">'
        "time (UTC): each point is a window, at its start</text>"
    )
    phases = _phases(marks)
    named = {label for label, _, _ in PHASES}
    for t, label in marks:  # actions and other steps: faint, unlabelled (the timeline names them)
        if label not in named:
            x = x_of(t)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="{_MARK}" '
                'stroke-dasharray="1 4"/>'
            )
    for i, (t, name, colour) in enumerate(phases):
        x = x_of(t) + 2.5 * i  # phases reached at once stay apart
        parts.append(
            f'<line class="phase" x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="4 3">'
            f"<title>{name} {datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M:%SZ}</title></line>"
        )
    parts += [_line(limit, _LIMIT, "6 4"), _line(series, _STAT)]
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{_STAT}"/>' for x, y in series]
    column = str(chart.get("column") or "statistic")[:40]
    legend = [(f"{column} (window statistic)", _STAT, ""), ("threshold", _LIMIT, "6 4")]
    legend += [(name, colour, "4 3") for _, name, colour in phases]
    title = escape(f"{column}: window statistic against its threshold, with the incident's phases")
    return (
        f'<svg viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="{title}" font-size="11" font-family="sans-serif">'
        f"<title>{title}</title>{_legend(legend)}{''.join(parts)}</svg>"
    )
