"""One health rule: off the primary, an open incident, or a Guard gone silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from redline.domain.health import SILENT_FLOOR_S, ReviewSla, model_health, silent_after_s

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _window(minutes: float) -> tuple[datetime, datetime]:
    return T0, T0 + timedelta(minutes=minutes)


def test_a_model_on_its_primary_with_fresh_windows_and_no_incident_is_healthy() -> None:
    health = model_health(
        departures=(), open_incidents=0, last_window=_window(1), now=T0 + timedelta(minutes=2)
    )
    assert (health.healthy, health.reasons, health.silent_s) == (True, (), None)


def test_each_reason_is_named() -> None:
    health = model_health(
        departures=("fallback", "blocked_sources"),
        open_incidents=2,
        last_window=_window(10),
        now=T0 + timedelta(minutes=10 + 31),
    )
    assert not health.healthy
    assert health.reasons == (
        "degraded: fallback, blocked_sources",
        "2 open incidents",
        "silent: no window for 31 min",
    )
    assert health.silent_s == pytest.approx(31 * 60)


@pytest.mark.parametrize(
    ("length_min", "quiet_s", "silent"),
    [
        (10, 30 * 60 - 1, False),  # three 10-minute windows
        (10, 30 * 60 + 1, True),
        (0.1, SILENT_FLOOR_S - 1, False),  # a window closed early by a flush
        (0.1, SILENT_FLOOR_S + 1, True),
    ],
)
def test_silence_is_measured_in_window_lengths_with_a_floor(
    length_min: float, quiet_s: float, silent: bool
) -> None:
    start, end = _window(length_min)
    health = model_health(
        departures=(),
        open_incidents=0,
        last_window=(start, end),
        now=end + timedelta(seconds=quiet_s),
    )
    assert (not health.healthy) is silent
    assert silent_after_s(start, end) == max(3 * length_min * 60, SILENT_FLOOR_S)


def test_a_model_without_windows_is_not_called_silent() -> None:
    health = model_health(departures=(), open_incidents=1, last_window=None, now=T0)
    assert health.reasons == ("1 open incident",)


@pytest.mark.parametrize(
    ("waited_s", "overdue"),
    [(3_599, False), (3_600, False), (3_601, True)],
)
def test_a_review_waiting_past_its_sla_makes_the_model_unhealthy(
    waited_s: float, overdue: bool
) -> None:
    now = T0 + timedelta(minutes=2)
    health = model_health(
        departures=(),
        open_incidents=0,
        last_window=_window(1),
        now=now,
        oldest_review=now - timedelta(seconds=waited_s),
        review_sla_s=3_600,
    )
    assert health.review_wait_s == pytest.approx(waited_s)
    assert (not health.healthy) is overdue
    if overdue:
        assert health.reasons == ("review overdue: the oldest has waited 60 min (limit 60 min)",)


def test_no_pending_review_means_no_wait_and_the_default_sla_is_a_day() -> None:
    now = T0 + timedelta(minutes=2)
    quiet = model_health(departures=(), open_incidents=0, last_window=_window(1), now=now)
    assert quiet.review_wait_s is None
    day_old = model_health(
        departures=(),
        open_incidents=0,
        last_window=_window(1),
        now=now,
        oldest_review=now - timedelta(hours=25),
    )
    assert day_old.reasons == ("review overdue: the oldest has waited 25 h (limit 24 h)",)


def test_a_review_sla_per_model_overrides_the_default() -> None:
    sla = ReviewSla(default_s=7_200, per_model={"fraud": 300})
    assert (sla.limit_s("fraud"), sla.limit_s("other")) == (300.0, 7_200.0)
