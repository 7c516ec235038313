"""The demo's traffic generators: deterministic with a seed, and injecting what they say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from redline.demo import SCENARIOS, DemoError, check_scenarios
from redline.demo.runner import SimClock
from redline.demo.scenarios import (
    ATTACK_SOURCE,
    NORMAL_SOURCES,
    Request,
    Traffic,
    attack_window,
    normal_window,
    probe_row,
    shift_categories,
)

CARRIERS = ["AA", "B6", "DL", "UA"]


def _pool(n: int, seed: int = 0, month_temp: float = 45.0) -> list[tuple[dict[str, Any], int]]:
    rng = np.random.default_rng(seed)
    return [
        (
            {
                "hour": int(rng.integers(5, 23)),
                "carrier": CARRIERS[i % len(CARRIERS)],
                "origin": "JFK",
                "distance": float(rng.uniform(100, 2500)),
                "temp": float(rng.normal(month_temp, 10)),
                "dewp": 30.0,
                "humid": 60.0,
                "wind_speed": 10.0,
                "precip": 0.0,
                "visib": 10.0,
                "id": i,
            },
            int(rng.random() < 0.2),
        )
        for i in range(n)
    ]


TRAFFIC = Traffic(_pool(5_000), _pool(2_000, seed=1, month_temp=80.0), {"carrier": CARRIERS})


def _ids(window: list[Request]) -> list[int]:
    return [r.row["id"] for r in window]


def test_the_same_seed_gives_the_same_windows_for_every_scenario() -> None:
    for scenario in SCENARIOS.values():
        for injected in (False, True):
            a = scenario.window(np.random.default_rng([7, 1]), TRAFFIC, injected=injected)
            b = scenario.window(np.random.default_rng([7, 1]), TRAFFIC, injected=injected)
            assert a == b


def test_another_seed_gives_other_flights() -> None:
    a = normal_window(np.random.default_rng(1), TRAFFIC.spring, 400)
    b = normal_window(np.random.default_rng(2), TRAFFIC.spring, 400)
    assert _ids(a) != _ids(b)


def test_a_normal_window_draws_distinct_flights_from_the_partner_networks() -> None:
    window = normal_window(np.random.default_rng(3), TRAFFIC.spring, 400)
    assert len(window) == 400
    assert len(set(_ids(window))) == 400
    assert {r.source for r in window} <= set(NORMAL_SOURCES)
    assert len({r.source for r in window}) == len(NORMAL_SOURCES)
    by_id = {row["id"]: label for row, label in TRAFFIC.spring}
    assert all(r.label == by_id[r.row["id"]] for r in window)


def test_a_category_shift_moves_every_value_to_the_next_and_wraps_around() -> None:
    window = normal_window(np.random.default_rng(4), TRAFFIC.spring, 200)
    shifted = shift_categories(window, "carrier", CARRIERS)
    expected = {"AA": "B6", "B6": "DL", "DL": "UA", "UA": "AA"}
    for before, after in zip(window, shifted, strict=True):
        assert after.row["carrier"] == expected[before.row["carrier"]]
        assert {k: v for k, v in after.row.items() if k != "carrier"} == {
            k: v for k, v in before.row.items() if k != "carrier"
        }
    unknown = shift_categories([Request({"carrier": "ZZ"}, "x", 0)], "carrier", CARRIERS)
    assert unknown[0].row["carrier"] == "ZZ"


def test_an_attack_window_adds_probes_from_one_range_outside_the_data() -> None:
    window = attack_window(np.random.default_rng(5), TRAFFIC.spring, 300, 200)
    probes = [r for r in window if r.source == ATTACK_SOURCE]
    assert (len(window), len(probes)) == (500, 200)
    assert all(r.row["distance"] >= 6_000 and r.row["temp"] <= -20 for r in probes)
    assert all(r.row["hour"] <= 4 and r.row["visib"] == 0.0 for r in probes)
    assert max(row["distance"] for row, _ in TRAFFIC.spring) < 6_000
    sources = [r.source for r in window]
    assert sources[:200].count(ATTACK_SOURCE) not in (0, 200)  # interleaved, not one block


def test_a_probe_keeps_who_flies_where() -> None:
    row, _ = TRAFFIC.spring[0]
    probe = probe_row(np.random.default_rng(0), row)
    assert (probe["carrier"], probe["origin"]) == (row["carrier"], row["origin"])


def test_covariate_drift_serves_summer_flights_only_once_injected() -> None:
    scenario = SCENARIOS["covariate_drift"]
    summer = {row["id"] for row, _ in TRAFFIC.summer}
    normal = scenario.window(np.random.default_rng(6), TRAFFIC, injected=False)
    drifted = scenario.window(np.random.default_rng(6), TRAFFIC, injected=True)
    assert np.mean([r.row["temp"] for r in drifted]) > np.mean([r.row["temp"] for r in normal])
    assert set(_ids(drifted)) <= summer
    assert (len(normal), len(drifted)) == (scenario.rows, scenario.rows)


def test_scenarios_without_traffic_injection_serve_normal_traffic() -> None:
    for name in ("latency_spike", "bad_version"):
        scenario = SCENARIOS[name]
        injected = scenario.window(np.random.default_rng(8), TRAFFIC, injected=True)
        normal = scenario.window(np.random.default_rng(8), TRAFFIC, injected=False)
        assert injected == normal


def test_every_scenario_has_its_own_model_and_an_expected_outcome() -> None:
    models = [s.model for s in SCENARIOS.values()]
    assert len(set(models)) == len(models) == 5
    assert {s.severity for s in SCENARIOS.values()} == {"SEV1", "SEV2", "SEV3"}
    assert SCENARIOS["latency_spike"].containment == ()
    assert SCENARIOS["bad_version"].containment == ("rollback",)


def test_scenarios_are_chosen_in_the_demos_order() -> None:
    assert check_scenarios([]) == list(SCENARIOS)
    assert check_scenarios(["bad_version", "pipeline_bug"]) == ["pipeline_bug", "bad_version"]
    with pytest.raises(DemoError, match="unknown scenario 'nope'"):
        check_scenarios(["nope"])


def test_the_simulated_clock_moves_only_when_told() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = SimClock(start)
    assert clock.now() == clock.now() == start
    clock.advance(60.0)
    assert clock.now() == start + timedelta(minutes=1)
