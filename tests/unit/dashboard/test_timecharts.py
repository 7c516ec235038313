"""Time-chart geometry and the binned quantiles the prediction charts show."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from redline.api.dashboard.timecharts import (
    HEIGHT,
    LEFT,
    TOP,
    WIDTH,
    nice_ticks,
    time_chart,
    time_ticks,
)
from redline.services.timeseries import Bucket, TimeSeries
from redline.services.window_points import binned_quantiles

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("seed", range(5))
def test_binned_quantiles_are_within_one_bin_of_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(rng.uniform(-3, 3), rng.uniform(0.5, 3), 5_000)
    edges = np.quantile(rng.normal(0, 2, 20_000), np.linspace(0.05, 0.95, 19))
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=edges.size + 1)
    qs = (0.1, 0.5, 0.9)
    found = binned_quantiles(edges.tolist(), counts.tolist(), values.min(), values.max(), qs)
    bounds = np.concatenate([[values.min()], edges, [values.max()]])
    for q, got in zip(qs, found, strict=True):
        exact = float(np.quantile(values, q))
        i = int(np.searchsorted(edges, exact, side="right"))
        # The estimate lies in the bin that holds the exact quantile (clipped to the extremes).
        assert max(bounds[i], values.min()) - 1e-9 <= got <= min(bounds[i + 1], values.max()) + 1e-9
        assert got == pytest.approx(exact, abs=float(np.diff(bounds)[i]))


def test_binned_quantiles_of_nothing_are_nan() -> None:
    assert all(np.isnan(binned_quantiles([0.0], [0, 0], 0.0, 1.0, (0.5,))))


def test_nice_ticks_cover_the_values_with_round_steps() -> None:
    assert nice_ticks(0.0, 0.23) == [0.0, 0.1, 0.2, 0.3]
    ticks = nice_ticks(-3.2, 1_234.0)
    assert ticks[0] <= -3.2
    assert ticks[-1] >= 1_234.0
    assert len({round(b - a, 9) for a, b in itertools.pairwise(ticks)}) == 1
    assert nice_ticks(5.0, 5.0)[-1] > 5.0  # a flat series still gets an axis


@pytest.mark.parametrize(
    ("span", "step"),
    [
        (timedelta(hours=1), timedelta(minutes=10)),
        (timedelta(days=1), timedelta(hours=6)),
        (timedelta(days=7), timedelta(days=2)),
    ],
)
def test_time_ticks_are_round_utc_times_inside_the_range(span: timedelta, step: timedelta) -> None:
    start = T0 + timedelta(minutes=7)
    ticks = time_ticks(start, start + span)
    assert 2 <= len(ticks) <= 7
    assert all(start <= t <= start + span for t, _ in ticks)
    assert {b - a for (a, _), (b, _) in itertools.pairwise(ticks)} == {step}
    assert all(t.timestamp() % 60 == 0 for t, _ in ticks)


def _series(values: list[float], threshold: float | None = None) -> TimeSeries:
    buckets = tuple(
        Bucket(
            T0 + timedelta(minutes=i), T0 + timedelta(minutes=i + 1), 1, v, v, v, v > 1, f"w<{i}>"
        )
        for i, v in enumerate(values)
    )
    end = T0 + timedelta(minutes=len(values))
    return TimeSeries("m", "drift:x", "drift · x", "", T0, end, len(values), threshold, buckets)


def test_a_chart_places_points_in_time_and_value_and_links_each_window() -> None:
    chart = time_chart(
        "c", "drift", "a/b model", [_series([0.0, 0.5, 2.0], threshold=1.0)], band=True
    )
    xs = [d.x for d in chart.dots]
    assert xs == sorted(xs)
    assert LEFT < xs[0] < xs[-1] < WIDTH
    ys = [d.y for d in chart.dots]
    assert ys[0] > ys[1] > ys[2] >= TOP  # larger values sit higher
    assert chart.threshold is not None
    assert ys[2] < chart.threshold[0] < ys[1]
    assert chart.threshold[0] < HEIGHT
    # Model and window ids are quoted into the link; the flagged bucket is marked.
    assert chart.dots[0].href == "/models/a%2Fb%20model/windows/w%3C0%3E"
    assert [d.flagged for d in chart.dots] == [False, False, True]
