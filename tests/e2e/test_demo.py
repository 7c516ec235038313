"""End-to-end: ``redline demo --headless --json`` through the console script of the wheel
installed outside the tree, once: the run ``conftest.py`` makes for ``test_wheel.py`` too."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from contextlib import closing
from typing import Any

import pytest

from rltest.installed import SETUP_DEADLINE_S, DemoRun

# The first test here may build the wheel, install it and run the demo.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(SETUP_DEADLINE_S)]

SCENARIOS = ["covariate_drift", "pipeline_bug", "source_attack", "latency_spike", "bad_version"]
EXPECTED = {
    "covariate_drift": ("SEV2", "route_fallback"),
    "pipeline_bug": ("SEV2", "route_fallback"),
    "source_attack": ("SEV2", "block_source"),
    "bad_version": ("SEV1", "rollback"),
}


@pytest.fixture(scope="module")
def run(demo_run: DemoRun) -> tuple[subprocess.CompletedProcess[str], str]:
    """The one headless run and its store."""
    return demo_run.done, demo_run.store


@pytest.fixture(scope="module")
def result(run: tuple[subprocess.CompletedProcess[str], str]) -> dict[str, Any]:
    """The one JSON object the run printed."""
    done, _ = run
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = done.stdout.strip().splitlines()  # exactly one object, nothing else on stdout
    data: dict[str, Any] = json.loads(line)
    return data


def _scenario(result: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [s for s in result["scenarios"] if s["name"] == name]
    return found


def test_the_json_has_the_documented_shape(
    result: dict[str, Any], run: tuple[subprocess.CompletedProcess[str], str]
) -> None:
    assert {"scenarios", "store", "model_versions", "seconds"} <= set(result)
    assert result["store"] == run[1]
    assert [s["name"] for s in result["scenarios"]] == SCENARIOS
    keys = {"name", "incident", "severity", "detected_after_windows", "actions", "status"}
    for scenario in result["scenarios"]:
        assert keys <= set(scenario)
        assert all(set(a) == {"type", "status"} for a in scenario["actions"])
    # wall time varies with the machine's load: the total is checked against its parts, not a limit
    assert result["seconds"] > 0
    assert result["seconds"] == pytest.approx(sum(result["timings"].values()), abs=0.02)


def _incidents_of(store: str, model: str) -> list[str]:
    """Each incident of ``model`` as "key severity title", for a failure's message."""
    from redline.services import open_store
    from redline.services.views import list_incident_views

    opened = open_store(store)
    try:
        views = list_incident_views(opened, model=model)
        return [f"{v.key} {v.severity} {v.title}" for v in views]
    finally:
        opened.dispose()


def test_every_scenario_was_detected_after_its_injection(
    result: dict[str, Any], run: tuple[subprocess.CompletedProcess[str], str]
) -> None:
    for scenario in result["scenarios"]:
        assert scenario["status"] != "not detected", scenario
        assert scenario["incident"].startswith("RL-")
        assert scenario["detected_after_windows"] >= 1
        # no false alarm before the injection
        assert scenario["warmup_incidents"] == 0, _incidents_of(run[1], scenario["model"])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_contained_scenarios_reach_a_verified_action(result: dict[str, Any], name: str) -> None:
    scenario = _scenario(result, name)
    severity, action = EXPECTED[name]
    assert scenario["severity"] == severity
    assert {"type": action, "status": "verified"} in scenario["actions"]
    assert scenario["status"] in {"contained", "monitoring", "resolved"}


def test_each_scenario_is_detected_by_its_own_signature(result: dict[str, Any]) -> None:
    assert "performance_drop" in _scenario(result, "covariate_drift")["signals"]
    assert "mapping_error" in _scenario(result, "pipeline_bug")["signals"]
    assert "source_share" in _scenario(result, "source_attack")["signals"]
    assert _scenario(result, "latency_spike")["signals"] == ["latency"]
    assert _scenario(result, "bad_version")["signals"] == ["canary_failure"]


def test_the_bad_version_sends_unsure_answers_to_the_review_queue(result: dict[str, Any]) -> None:
    scenario = _scenario(result, "bad_version")
    assert {"type": "threshold_change", "status": "verified"} in scenario["actions"]
    review = scenario["review"]
    assert review["pending"] > 0
    assert review["reasons"] == ["low confidence"]
    assert review["thresholds"] == [0.6]
    assert review["max_confidence"] < 0.6
    assert scenario["incident"] in review["incidents"]
    # only the scenario whose playbook rule sets a threshold holds anything
    others = [s for s in result["scenarios"] if s["name"] != "bad_version"]
    assert all(s["review"]["pending"] == 0 for s in others)


def _rows(store: str, query: str) -> list[tuple[Any, ...]]:
    path = store.removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as db:
        return db.execute(query).fetchall()


def test_every_record_of_the_run_is_stamped_on_the_demo_clock(
    result: dict[str, Any], run: tuple[subprocess.CompletedProcess[str], str]
) -> None:
    store = run[1]
    (first_start, last_end) = _rows(store, "SELECT min(start), max(end) FROM windows")[0]
    stamps = {
        "deployment": "SELECT model, at FROM deployments ORDER BY id",
        "route change": "SELECT model, created_at FROM route_states ORDER BY model, revision",
        "registration": "SELECT model, registered_at FROM model_versions ORDER BY id",
        "window evaluated": "SELECT model, evaluated_at FROM windows ORDER BY start",
        "incident event": "SELECT incident_id, at FROM timeline_events ORDER BY incident_id, seq",
        "audit record": "SELECT 'all', at FROM audit_log ORDER BY seq",
    }
    for name, query in stamps.items():
        rows = _rows(store, query)
        assert rows, name
        times = [at for _, at in rows]
        # nothing from the wall clock: every time falls within the simulated run ...
        assert all(first_start <= at <= last_end for at in times), (name, rows)
        # ... and each history reads in order
        for key in {k for k, _ in rows}:
            own = [at for k, at in rows if k == key]
            assert own == sorted(own), (name, key, own)


def test_each_model_is_deployed_before_it_serves_and_its_route_changes_while_it_does(
    result: dict[str, Any], run: tuple[subprocess.CompletedProcess[str], str]
) -> None:
    store = run[1]
    spans = _rows(store, "SELECT model, min(start), max(end) FROM windows GROUP BY model")
    for model, first, last in spans:
        deployed = _rows(store, f"SELECT min(at) FROM deployments WHERE model = '{model}'")
        assert deployed[0][0] <= first, model
        changed = _rows(store, f"SELECT max(created_at) FROM route_states WHERE model = '{model}'")
        assert changed[0][0] <= last, model


def test_a_latency_spike_is_watched_not_contained(result: dict[str, Any]) -> None:
    scenario = _scenario(result, "latency_spike")
    assert (scenario["severity"], scenario["actions"]) == ("SEV3", [])


def test_the_bad_version_is_rolled_back_to_v1(result: dict[str, Any]) -> None:
    versions = [v for v in result["model_versions"] if v["model"] == "flights-bad-version"]
    serving = [v["version"] for v in versions if v["serving"]]
    assert sorted(v["version"] for v in versions) == ["rules", "v1", "v2"]
    assert serving == ["v1"]


def test_the_store_holds_the_incidents_for_the_cli(
    result: dict[str, Any], demo_run: DemoRun
) -> None:
    done = subprocess.run(
        [demo_run.script, "incidents", "list", "--store", demo_run.store, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    listed = {i["key"] for i in json.loads(done.stdout)}
    assert listed == {s["incident"] for s in result["scenarios"]}


def test_a_store_that_already_holds_a_demo_is_refused(
    result: dict[str, Any], demo_run: DemoRun
) -> None:
    done = subprocess.run(
        [demo_run.script, "demo", "--headless", "--json", "--store", demo_run.store],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "already holds a demo run" in done.stderr
