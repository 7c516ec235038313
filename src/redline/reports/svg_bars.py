"""Inline SVG bar charts of reference vs current shares, with no scripts and no external assets."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from itertools import pairwise
from typing import Any

from redline.reports.summary import format_share

__all__ = ["histogram_svg", "shares_svg"]

_WIDTH, _HEIGHT = 760, 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 12, 28, 78
_COLOURS = {"reference": "#7a8aa0", "current": "#d1495b"}
_MAX_TICKS = 14
_LABEL_CHARS = 14


def _share(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return max(float(value), 0.0) if ok else 0.0


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def _y_axis(top_share: float, plot_h: float) -> list[str]:
    out = []
    for i in range(3):
        share = top_share * i / 2
        y = _TOP + plot_h * (1 - i / 2)
        out.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#dde1e6" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{format_share(share)}</text>'
        )
    return out


def _legend() -> str:
    x = _WIDTH - _RIGHT - 170
    items = []
    for i, (name, colour) in enumerate(_COLOURS.items()):
        left = x + 90 * i
        items.append(
            f'<rect x="{left}" y="8" width="12" height="12" fill="{colour}"/>'
            f'<text x="{left + 16}" y="18">{name}</text>'
        )
    return "".join(items)


def shares_svg(
    labels: Sequence[str],
    reference: Sequence[Any],
    current: Sequence[Any],
    *,
    ticks: Sequence[str] | None = None,
    title: str = "",
) -> str:
    """Grouped bars (reference, current) per label; ``ticks`` replaces the axis labels."""
    n = min(len(labels), len(reference), len(current))
    axis = list(ticks) if ticks is not None else [_short(str(label)) for label in labels]
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    top_share = max([_share(v) for v in [*reference[:n], *current[:n]]] + [1e-9])
    group_w = plot_w / max(n, 1)
    bar_w = max(group_w * 0.4, 0.5)
    step = max(1, math.ceil(n / _MAX_TICKS))
    parts = _y_axis(top_share, plot_h)
    for i in range(n):
        x0 = _LEFT + i * group_w + group_w * 0.1
        label = escape(str(labels[i]))
        for j, (name, values) in enumerate((("reference", reference), ("current", current))):
            share = _share(values[i])
            h = plot_h * share / top_share
            parts.append(
                f'<rect x="{x0 + j * bar_w:.2f}" y="{_TOP + plot_h - h:.2f}" '
                f'width="{bar_w:.2f}" height="{h:.2f}" fill="{_COLOURS[name]}">'
                f"<title>{label}: {name} {format_share(share)}</title></rect>"
            )
        if i % step == 0 and i < len(axis) and axis[i]:
            cx, cy = x0 + bar_w, _TOP + plot_h + 12
            parts.append(
                f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="end" '
                f'transform="rotate(-35 {cx:.1f} {cy:.1f})">{escape(axis[i])}</text>'
            )
    return (
        f'<svg viewBox="0 0 {_WIDTH} {_HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="11" '
        f'fill="#333">{"".join(parts)}{_legend()}</svg>'
    )


def histogram_svg(histogram: Mapping[str, Any], *, title: str = "") -> str:
    """The chart of one ``histogram`` entry of a drift report (numeric or categorical)."""
    reference = list(histogram.get("reference") or [])
    current = list(histogram.get("current") or [])
    if histogram.get("type") == "numeric":
        edges = [_edge(e) for e in histogram.get("edges") or []]
        labels = [f"[{lo:.4g}, {hi:.4g})" for lo, hi in pairwise(edges)]
        ticks = [f"{lo:.3g}" for lo in edges[:-1]]
        return shares_svg(labels, reference, current, ticks=ticks, title=title)
    labels = [str(label) for label in histogram.get("labels") or []]
    return shares_svg(labels, reference, current, title=title)


def _edge(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else math.nan
