"""End-to-end: ``redline worker`` on a real SQLite store; the long-running worker in a child process."""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

import redline
from redline.domain import Level, Signal
from redline.guard.sinks import ClosedWindow
from redline.profiles.window import WindowProfile
from redline.services import open_store
from redline.services.ingest import store_window
from redline.store import list_incidents, list_unevaluated_windows
from rltest.cli import cli_env, invoke_redline, redline_script

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PLAYBOOK = """\
version: 1
models:
  credit: {reference: reference.json, primary: "credit:v1"}
severity:
  version: "e2e-1"
  rules:
    - match: {kinds: [feature_drift]}
      severity: SEV2
"""


def _env() -> dict[str, str]:
    return cli_env((), prefix="REDLINE_")


def redline_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return invoke_redline(*args, env=_env())


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A SQLite store of this test's own, holding 30 unevaluated windows of model credit."""
    url = f"sqlite:///{tmp_path / 'redline.db'}"
    reference = redline.fit_reference({"x": np.linspace(-3, 3, 500)}, window_sizes=[50])
    opened = open_store(url)
    try:
        for index in range(30):
            begin = START + timedelta(minutes=index)
            window = WindowProfile.of(
                reference, {"x": np.zeros(20)}, start=begin, end=begin, window_id=f"w{index}"
            )
            drift = Signal("drift", "feature_drift", "x", "psi", 0.3, 0.2, Level.WARNING)
            assert store_window(opened, ClosedWindow("credit", window, signals=[drift]))
    finally:
        opened.dispose()
    return url


def test_worker_once_responds_to_every_stored_window_with_the_playbook(
    store: str, tmp_path: Path
) -> None:
    playbook = tmp_path / "redline.yaml"
    playbook.write_text(PLAYBOOK)
    args = ("worker", "--once", "--json", "--batch", "7", "--store", store)
    first = redline_cli(*args, "--playbook", str(playbook))
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["windows"], summary["errors"]) == (30, [])
    again = redline_cli(*args)
    assert json.loads(again.stdout)["windows"] == 0
    opened = open_store(store)
    try:
        with opened.session() as session:
            assert list_unevaluated_windows(session) == []
            (incident,) = list_incidents(session, model="credit")
            assert (incident.severity, incident.policy_version) == ("SEV2", "e2e-1")
    finally:
        opened.dispose()


def test_worker_stops_cleanly_on_sigterm(store: str) -> None:
    command = [redline_script(), "worker", "--interval", "0.1", "--store", store]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if "responded to 30 windows" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "SIGTERM received" in rest
    assert "worker stopped after" in rest


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--json",), "--json prints the summary of one tick: add --once"),
        (("--once", "--playbook", "missing.yaml"), "missing.yaml"),
        (("--once", "--batch", "0"), "--batch"),
    ],
)
def test_worker_bad_options_are_one_red_line(
    store: str, args: tuple[str, ...], message: str
) -> None:
    result = redline_cli("worker", *args, "--store", store)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


CANARY_PLAYBOOK = """\
version: 1
models:
  scorer:
    reference: reference.json
    primary: "scorer:v1"
    canaries:
      - {name: golden-zero, input: {x: 0.0}, expected: 1.0, tolerance: 0.001}
      - {name: golden-two, input: {x: 2.0}, expected: 5.0, tolerance: 0.001}
"""


def _linear_joblib(path: Path, slope: float, intercept: float) -> Path:
    import joblib
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    x = pd.DataFrame({"x": np.linspace(-5.0, 5.0, 21)})
    joblib.dump(LinearRegression().fit(x, slope * x["x"] + intercept), path)
    return path


def test_worker_once_runs_the_playbooks_canaries_on_the_deployed_version(tmp_path: Path) -> None:
    from redline.services.registry import deploy, register_version

    url = f"sqlite:///{tmp_path / 'canaries.db'}"
    opened = open_store(url)
    try:
        for version, slope, intercept in (("v1", 2.0, 1.0), ("v2", -2.0, 3.0)):
            artifact = _linear_joblib(tmp_path / f"{version}.joblib", slope, intercept)
            register_version(opened, model="scorer", version=version, artifact=artifact, actor="ci")
        deploy(opened, model="scorer", version="v2", actor="ci", reason="a bad release")
    finally:
        opened.dispose()
    playbook = tmp_path / "redline.yaml"
    playbook.write_text(CANARY_PLAYBOOK)
    args = ("worker", "--once", "--json", "--store", url, "--playbook", str(playbook))
    untrusted = redline_cli(*args)
    assert untrusted.returncode == 0, untrusted.stderr
    assert json.loads(untrusted.stdout)["canaries_run"] == []
    assert "pickle" in untrusted.stderr  # the log says why the canaries did not run
    result = redline_cli(*args, "--trust-artifacts")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["canaries_failed"] == ["scorer/golden-zero", "scorer/golden-two"]
    assert summary["errors"] == []
    opened = open_store(url)
    try:
        with opened.session() as session:
            (incident,) = list_incidents(session, model="scorer")
    finally:
        opened.dispose()
    assert (incident.severity, incident.status) == ("SEV1", "declared")
