"""Server-rendered time charts: axes with time and value ticks, lines, a min–max band, a threshold.

The geometry only places stored values (``services.timeseries``) on a canvas; every number drawn
is one the store keeps with a window, never recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from redline.services.timeseries import Bucket, TimeSeries

__all__ = ["Dot", "Line", "TimeChart", "nice_ticks", "time_chart", "time_ticks"]

#: The canvas (SVG user units; the chart scales to its box, text with it).
WIDTH, HEIGHT = 720.0, 190.0
LEFT, RIGHT, TOP, BOTTOM = 52.0, 12.0, 10.0, 24.0
_STEPS = [timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 180, 360, 720, 1440, 2880, 10080)]


@dataclass(frozen=True, slots=True)
class Line:
    """One series drawn as a line (bucket means) with its legend entry."""

    label: str
    css: str
    points: str
    last: float | None


@dataclass(frozen=True, slots=True)
class Dot:
    """A bucket to click: where it is, the window it opens and what its tooltip says."""

    x: float
    y: float
    href: str
    title: str
    flagged: bool


@dataclass(frozen=True, slots=True)
class TimeChart:
    """Everything the template draws for one chart."""

    id: str
    title: str
    unit: str
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    lines: tuple[Line, ...]
    band: str
    threshold: tuple[float, float] | None
    dots: tuple[Dot, ...]
    n_windows: int
    width: float = WIDTH
    height: float = HEIGHT
    left: float = LEFT
    right: float = WIDTH - RIGHT
    top: float = TOP
    bottom: float = HEIGHT - BOTTOM


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round values from at most ``low`` to at least ``high``, about ``count`` steps apart.

    >>> nice_ticks(0.0, 0.23)
    [0.0, 0.1, 0.2, 0.3]
    """
    if not high > low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks: list[float] = []
    value = first
    while value < high + step * 0.5 and len(ticks) < 4 * count:
        ticks.append(round(value, 12))
        value += step
    return ticks if ticks[-1] >= high else [*ticks, round(value, 12)]


def time_ticks(start: datetime, end: datetime, count: int = 6) -> list[tuple[datetime, str]]:
    """Round times inside [start, end] about ``count`` apart, labelled in UTC."""
    span = end - start
    step = next((s for s in _STEPS if span / s <= count), _STEPS[-1])
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    first = epoch + math.ceil((start - epoch) / step) * step
    out, moment, day = [], first, None
    while moment <= end:
        same_day = moment.date() == day
        fmt = "%H:%M" if step < timedelta(days=1) and same_day else "%b %d %H:%M"
        if step >= timedelta(days=1):
            fmt = "%b %d"
        out.append((moment, moment.astimezone(UTC).strftime(fmt)))
        day, moment = moment.date(), moment + step
    return out


def _label(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.2e}"


def _tip(series: TimeSeries, bucket: Bucket) -> str:
    when = bucket.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    stats = f"mean {_label(bucket.mean)}, min {_label(bucket.low)}, max {_label(bucket.high)}"
    return f"{series.label} · {when} · {bucket.n_windows} windows · {stats}"


def time_chart(
    chart_id: str, title: str, model: str, series: Sequence[TimeSeries], *, band: bool = False
) -> TimeChart:
    """A chart of ``series`` (same range): lines of bucket means, the first one's min–max band
    when ``band``, its buckets as links to their highest window, and its stored threshold."""
    start, end = series[0].start, series[0].end
    values = [
        v for s in series for b in s.buckets for v in ((b.low, b.high) if band else (b.mean,))
    ]
    threshold = series[0].threshold
    top = max([*values, *([threshold] if threshold is not None else []), 0.0])
    ticks = nice_ticks(min([*values, 0.0]), top or 1.0)
    low, high = ticks[0], ticks[-1]
    seconds = max((end - start).total_seconds(), 1e-9)

    def x(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() / seconds * (WIDTH - LEFT - RIGHT), 1)

    def y(value: float) -> float:
        return round(TOP + (high - value) / (high - low) * (HEIGHT - TOP - BOTTOM), 1)

    def mid(bucket: Bucket) -> datetime:
        return bucket.start + (bucket.end - bucket.start) / 2

    lines = tuple(
        Line(
            s.label,
            f"c{i % 6}",
            " ".join(f"{x(mid(b))},{y(b.mean)}" for b in s.buckets),
            s.buckets[-1].mean if s.buckets else None,
        )
        for i, s in enumerate(series)
    )
    first = series[0]
    area = ""
    if band and first.buckets:
        upper = [f"{x(mid(b))},{y(b.high)}" for b in first.buckets]
        lower = [f"{x(mid(b))},{y(b.low)}" for b in reversed(first.buckets)]
        area = " ".join(upper + lower)
    base = f"/models/{quote(model, safe='')}/windows/"
    dots = tuple(
        Dot(
            x(mid(b)),
            y(b.high if band else b.mean),
            base + quote(b.window_id, safe=""),
            _tip(first, b),
            b.flagged,
        )
        for b in first.buckets
    )
    return TimeChart(
        id=chart_id,
        title=title,
        unit=first.unit,
        x_ticks=tuple((x(t), label) for t, label in time_ticks(start, end)),
        y_ticks=tuple((y(v), _label(v)) for v in ticks),
        lines=lines,
        band=area,
        threshold=None if threshold is None else (y(threshold), threshold),
        dots=dots,
        n_windows=first.n_windows,
    )
