"""Latency warnings need an absolute increase, and a share of the SLO when there is one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from redline.domain import Level, Signal
from redline.monitors.latency import LatencyMonitor

if TYPE_CHECKING:
    from conftest import Stream

N = 1_000  # 10 rows above the p99


def _run(
    stream: Stream, monitor: LatencyMonitor, usual_ms: float, now_ms: float
) -> tuple[Signal, ...]:
    """Three warm-up windows around ``usual_ms``, then one around ``now_ms``: its signals."""
    rng = np.random.default_rng(3)
    rows = stream.rows(n=N)
    for i in range(3):
        warm = stream.window(rows, index=i, latency_ms=rng.lognormal(np.log(usual_ms), 0.1, N))
        assert monitor.update(warm).signals == ()
    spike = stream.window(rows, index=3, latency_ms=rng.lognormal(np.log(now_ms), 0.1, N))
    return monitor.update(spike).signals


def test_microseconds_slower_is_not_a_latency_incident(stream: Stream) -> None:
    assert _run(stream, LatencyMonitor(stream.reference), 0.003, 0.011) == ()
    relative_only = LatencyMonitor(stream.reference, min_increase_ms=0.0)
    fired = _run(stream, relative_only, 0.003, 0.011)
    assert {s.statistic for s in fired} == {"latency_p95_ms", "latency_p99_ms"}


def test_milliseconds_slower_is_a_warning(stream: Stream) -> None:
    signals = _run(stream, LatencyMonitor(stream.reference), 8.0, 64.0)
    p99 = next(s for s in signals if s.statistic == "latency_p99_ms")
    assert p99.level is Level.WARNING
    assert p99.value == pytest.approx(80.0, rel=0.1)
    assert p99.threshold == pytest.approx(20.0, rel=0.1)  # 2 x baseline beats baseline + 5 ms
    # Baseline 10 ms, now 14 ms (+4 ms): relative enough at factor 1.2, too small absolutely.
    assert _run(stream, LatencyMonitor(stream.reference, factor=1.2), 8.0, 11.5) == ()


def test_with_an_slo_a_warning_also_needs_a_share_of_it(stream: Stream) -> None:
    watched = LatencyMonitor(stream.reference, slo_p99_ms=200.0)
    assert not [s for s in _run(stream, watched, 8.0, 48.0) if s.statistic == "latency_p99_ms"]
    signals = _run(stream, LatencyMonitor(stream.reference, slo_p99_ms=200.0), 8.0, 96.0)
    p99 = next(s for s in signals if s.statistic == "latency_p99_ms")
    assert (p99.level, p99.evidence["against"]) == (Level.WARNING, "baseline")
    assert p99.threshold == 100.0
    unwatched = LatencyMonitor(stream.reference, slo_p99_ms=200.0, slo_share=0.0)
    assert [s.statistic for s in _run(stream, unwatched, 8.0, 48.0)] == [
        "latency_p95_ms",
        "latency_p99_ms",
    ]


def test_a_percentile_needs_rows_above_it(stream: Stream) -> None:
    rng = np.random.default_rng(5)
    monitor = LatencyMonitor(stream.reference)
    rows = stream.rows(n=300)  # 15 rows above the p95, 3 above the p99
    for i in range(3):
        warm = stream.window(rows, index=i, latency_ms=rng.lognormal(np.log(8.0), 0.1, 300))
        assert monitor.update(warm).signals == ()
    spike = stream.window(rows, index=3, latency_ms=rng.lognormal(np.log(64.0), 0.1, 300))
    assert [s.statistic for s in monitor.update(spike).signals] == ["latency_p95_ms"]
    strict = LatencyMonitor(stream.reference, slo_p99_ms=50.0)
    signals = strict.update(spike).signals  # an SLO is judged at any size
    assert [(s.statistic, s.level) for s in signals] == [("latency_p99_ms", Level.CRITICAL)]


def test_bad_floors_are_refused(stream: Stream) -> None:
    with pytest.raises(ValueError, match="min_increase_ms"):
        LatencyMonitor(stream.reference, min_increase_ms=-1.0)
    with pytest.raises(ValueError, match="slo_share"):
        LatencyMonitor(stream.reference, slo_share=1.5)
