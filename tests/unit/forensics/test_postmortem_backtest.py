"""The threshold backtest on a synthetic series with a known onset: exact window counts."""

from __future__ import annotations

import pytest

from redline.forensics.backtest import (
    SECONDS_PER_MONTH,
    backtest_thresholds,
    count_alarms,
    first_alarm,
)

# Quiet at 0.05, then a ramp from window 5: 0.06, 0.08, 0.11, 0.15, 0.2, 0.2.
INCIDENT = [0.05, 0.05, 0.05, 0.05, 0.05, 0.06, 0.08, 0.11, 0.15, 0.2, 0.2]
# One month of hourly quiet windows with three isolated spikes and one pair.
QUIET = [0.02] * 720
QUIET[100] = QUIET[300] = QUIET[500] = 0.07
QUIET[600] = QUIET[601] = 0.09


def rows_by_setting() -> dict[tuple[float, int], object]:
    rows = backtest_thresholds(INCIDENT, QUIET, threshold=0.1, persistence=2, window_s=3600)
    return {(r.factor, r.persistence): r for r in rows}


def test_first_alarm_and_count_follow_persistence() -> None:
    assert first_alarm(INCIDENT, 0.1, 1) == 7
    assert first_alarm(INCIDENT, 0.1, 2) == 8
    assert first_alarm(INCIDENT, 0.5, 1) is None
    assert first_alarm([None, 0.3, None, 0.3, 0.3], 0.1, 2) == 4
    assert count_alarms(QUIET, 0.05, 1) == 4
    assert count_alarms(QUIET, 0.05, 2) == 1


def test_each_setting_fires_an_exact_number_of_windows_earlier_or_later() -> None:
    rows = rows_by_setting()
    current = rows[(1.0, 2)]
    assert current.current
    assert current.fired_at == 8
    assert current.windows_earlier == 0
    assert rows[(1.0, 1)].windows_earlier == 1
    assert rows[(0.75, 1)].fired_at == 6
    assert rows[(0.75, 1)].windows_earlier == 2
    assert rows[(0.5, 1)].fired_at == 5
    assert rows[(0.5, 1)].windows_earlier == 3
    assert rows[(0.5, 2)].windows_earlier == 2
    assert rows[(1.25, 2)].fired_at == 9
    assert rows[(1.25, 2)].windows_earlier == -1
    assert len(rows) == 8


def test_false_alarms_per_month_come_from_the_quiet_windows() -> None:
    rows = rows_by_setting()
    month_s = 720 * 3600
    assert rows[(0.5, 1)].false_alarms == 4
    assert rows[(0.5, 1)].false_alarms_per_month == pytest.approx(4 * SECONDS_PER_MONTH / month_s)
    assert rows[(0.5, 2)].false_alarms == 1
    assert rows[(0.75, 2)].false_alarms == 1
    assert rows[(1.0, 2)].false_alarms == 0


def test_no_quiet_windows_means_an_unknown_cost() -> None:
    rows = backtest_thresholds(INCIDENT, [], threshold=0.1, persistence=2, window_s=60)
    assert all(r.false_alarms_per_month is None for r in rows)


@pytest.mark.parametrize(
    ("threshold", "persistence", "window_s"), [(0.0, 2, 60), (0.1, 0, 60), (0.1, 2, 0)]
)
def test_bad_settings_are_refused(threshold: float, persistence: int, window_s: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        backtest_thresholds(
            INCIDENT, QUIET, threshold=threshold, persistence=persistence, window_s=window_s
        )
