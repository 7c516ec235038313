"""An incident's signals grouped into findings with a time axis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redline.api.dashboard.signal_story import group_signals
from redline.services.view_types import SignalCount, SignalView

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _signal(
    i: int, kind: str, column: str | None, value: float, level: str, hour: int
) -> SignalView:
    end = T0 + timedelta(hours=hour)
    return SignalView(
        id=i,
        monitor=f"{kind}_monitor",
        kind=kind,
        column=column,
        statistic="wasserstein_norm",
        value=value,
        threshold=0.1,
        level=level,
        window_start=end - timedelta(hours=1),
        window_end=end,
        source="monitor",
        status="open",
        evidence={"top_moves": [{"bin": f"b{i}", "reference": 0.1, "current": 0.2}]},
    )


def test_the_same_finding_over_windows_is_one_row_with_its_peak_and_span() -> None:
    signals = [
        _signal(3, "feature_drift", "x", 0.3, "alarm", 3),
        _signal(1, "feature_drift", "x", 0.15, "warning", 1),
        _signal(2, "feature_drift", "x", 0.45, "alarm", 2),
        _signal(4, "feature_drift", "age", 0.12, "warning", 2),
        _signal(5, "latency", None, 9.0, "critical", 4),
    ]
    groups = group_signals(signals)
    assert [(g.kind, g.column) for g in groups] == [
        ("latency", None),  # critical first
        ("feature_drift", "x"),  # then alarms
        ("feature_drift", "age"),
    ]
    x = groups[1]
    assert [s.id for s in x.signals] == [1, 2, 3]  # oldest first
    assert (x.first_seen, x.last_seen) == (T0 + timedelta(hours=1), T0 + timedelta(hours=3))
    assert x.peak.id == 2
    assert x.top_moves == [{"bin": "b2", "reference": 0.1, "current": 0.2}]
    assert (x.loudest, x.latest.level) == ("alarm", "alarm")
    assert x.series.values == (0.15, 0.45, 0.3)
    assert (x.series.threshold, x.series.over) == (0.1, True)
    assert groups[2].series.over is False  # its newest level is a warning


def test_no_signals_no_groups() -> None:
    assert group_signals([]) == []


def _count(kind: str, column: str | None, level: str, n: int, first: int, last: int) -> SignalCount:
    return SignalCount(
        monitor=f"{kind}_monitor",
        kind=kind,
        column=column,
        statistic="wasserstein_norm",
        level=level,
        count=n,
        first_seen=T0 + timedelta(hours=first),
        last_seen=T0 + timedelta(hours=last),
    )


def test_counts_give_every_signal_when_the_view_holds_only_the_newest() -> None:
    shown = [_signal(8, "feature_drift", "x", 0.2, "warning", 9)]
    counts = [
        _count("feature_drift", "x", "critical", 40, 0, 5),  # older ones, not shown
        _count("feature_drift", "x", "warning", 60, 6, 9),
        _count("missing_values", "y", "alarm", 3, 1, 2),  # no signal of it is shown
    ]
    groups = group_signals(shown, counts)
    assert [(g.kind, g.column) for g in groups] == [
        ("feature_drift", "x"),  # critical among its older signals
        ("missing_values", "y"),
    ]
    x, y = groups
    assert (x.count, x.shown_all, x.loudest) == (100, False, "critical")
    assert (x.first_seen, x.last_seen) == (T0, T0 + timedelta(hours=9))
    assert x.peak is not None
    assert x.peak.id == 8  # the peak among those shown
    assert (y.count, y.signals, y.peak, y.series, y.top_moves) == (3, (), None, None, [])
    assert (y.first_seen, y.last_seen) == (T0 + timedelta(hours=1), T0 + timedelta(hours=2))


def test_without_counts_the_signals_shown_are_all() -> None:
    (group,) = group_signals([_signal(1, "latency", None, 2.0, "alarm", 1)])
    assert (group.count, group.shown_all) == (1, True)
