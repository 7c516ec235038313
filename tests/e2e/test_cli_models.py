"""End-to-end: ``redline models register|list|deploy|history`` through the redline app."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from redline.services import open_store
from redline.services.artifacts import sha256_of
from redline.services.review import queue_for_review
from rltest.cli import cli_env, invoke_redline


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A SQLite store URL of this test's own."""
    return f"sqlite:///{tmp_path / 'redline.db'}"


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    """A scikit-learn model saved with joblib."""
    rng = np.random.default_rng(7)
    features = rng.normal(size=(300, 2))
    model = LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))
    path = tmp_path / "credit.joblib"
    joblib.dump(model, path)
    return path


def redline(*args: str | Path, store: str) -> subprocess.CompletedProcess[str]:
    return invoke_redline(*args, "--store", store)


def test_register_deploy_and_read_the_history(store: str, artifact: Path) -> None:
    first = redline(
        "models",
        "register",
        "credit",
        "v1",
        artifact,
        "--data-version",
        "d-2026-01",
        "--metric",
        "auc=0.91",
        "--metric",
        "note=baseline",
        "--actor",
        "alice",
        store=store,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"registered credit v1 sha256:{sha256_of(artifact)[:12]}")
    second = redline("models", "register", "credit", "v2", "json:dumps", store=store)
    assert second.returncode == 0, second.stderr

    listed = redline("models", "list", "credit", "--json", store=store)
    assert listed.returncode == 0, listed.stderr
    versions = json.loads(listed.stdout)
    assert [(v["version"], v["deployed"]) for v in versions] == [("v1", False), ("v2", False)]
    assert versions[0]["metrics"] == {"auc": 0.91, "note": "baseline"}
    assert versions[0]["training_data_version"] == "d-2026-01"
    assert versions[0]["registered_by"] == "person:alice"
    assert versions[0]["artifact_uri"] == str(artifact.resolve())

    for version, reason in (("v1", "launch"), ("v2", "retrained on March data")):
        deployed = redline(
            "models", "deploy", "credit", version, "--actor", "bob", "--reason", reason, store=store
        )
        assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout.strip() == "deployed credit v2 (was v1)"

    history = json.loads(redline("models", "history", "credit", "--json", store=store).stdout)
    assert [(h["version"], h["previous_version"], h["actor"], h["reason"]) for h in history] == [
        ("v1", None, "person:bob", "launch"),
        ("v2", "v1", "person:bob", "retrained on March data"),
    ]
    table = redline("models", "list", "credit", store=store)
    assert table.returncode == 0, table.stderr
    assert "│ * │ v2 " in table.stdout
    assert "│   │ v1 " in table.stdout
    text = redline("models", "history", "credit", store=store)
    assert "retrained on March data" in text.stdout


def test_mistakes_are_one_red_line_and_exit_2(store: str, artifact: Path, tmp_path: Path) -> None:
    unknown = redline(
        "models", "deploy", "credit", "v9", "--actor", "bob", "--reason", "x", store=store
    )
    assert unknown.returncode == 2
    assert unknown.stderr.startswith("Error: model 'credit' has no registered version 'v9'")
    assert len(unknown.stderr.strip().splitlines()) == 1

    no_reason = redline("models", "deploy", "credit", "v1", "--actor", "bob", store=store)
    assert no_reason.returncode == 2
    assert "--reason" in no_reason.stderr

    bad_metric = redline(
        "models", "register", "credit", "v1", artifact, "--metric", "auc", store=store
    )
    assert bad_metric.returncode == 2
    assert "'auc' is not NAME=VALUE" in bad_metric.stderr

    text = tmp_path / "model.txt"
    text.write_text("x", encoding="utf-8")
    unsupported = redline("models", "register", "credit", "v1", text, store=store)
    assert unsupported.returncode == 2
    assert "unsupported artifact type '.txt'" in unsupported.stderr

    assert redline("models", "register", "credit", "v1", artifact, store=store).returncode == 0
    artifact.write_bytes(artifact.read_bytes() + b"\0")
    changed = redline("models", "register", "credit", "v1", artifact, store=store)
    assert changed.returncode == 2
    assert "a changed artifact needs a new version" in changed.stderr


def test_a_model_off_its_primary_route_is_listed_as_degraded(store: str) -> None:
    applied = redline("actions", "apply", "credit", "kill_switch", "--actor", "ana", store=store)
    assert applied.returncode == 0, applied.stderr
    (listed,) = json.loads(redline("models", "list", "--json", store=store).stdout)
    assert (listed["name"], listed["degraded"], listed["departures"]) == (
        "credit",
        True,
        ["fallback"],
    )
    assert listed["open_incidents"] == 0
    table = redline("models", "list", store=store)
    assert table.returncode == 0, table.stderr
    assert "degraded: fallback" in table.stdout
    versions = redline("models", "list", "credit", store=store)
    assert "route revision 1: degraded: fallback" in versions.stdout

    (action,) = json.loads(redline("actions", "list", "--json", store=store).stdout)
    assert redline("actions", "revert", str(action["id"]), store=store).returncode == 0
    (listed,) = json.loads(redline("models", "list", "--json", store=store).stdout)
    assert (listed["degraded"], listed["departures"]) == (False, [])
    assert "route revision 2: ok" in redline("models", "list", "credit", store=store).stdout


def test_models_list_holds_pending_reviews_to_the_servers_playbook(
    store: str, artifact: Path, tmp_path: Path
) -> None:
    assert redline("models", "register", "credit", "v1", artifact, store=store).returncode == 0
    opened = open_store(store)
    try:
        held = {"request_id": "r-1", "reason": "low confidence", "input": {}, "output": 1}
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
        queue_for_review(opened, model="credit", items=[held], now=an_hour_ago)
    finally:
        opened.dispose()
    patient = redline("models", "list", "--json", store=store)  # built-in SLA: a day
    assert patient.returncode == 0, patient.stderr
    assert json.loads(patient.stdout)[0]["health"] == []
    playbook = tmp_path / "playbook.yaml"
    playbook.write_text(
        "models:\n  credit:\n    reference: reference.json\n    primary: credit:v1\n"
        "    review: {decide_within: 30m}\n",
        encoding="utf-8",
    )
    env = {**cli_env(), "REDLINE_API__PLAYBOOK": str(playbook)}
    strict = invoke_redline("models", "list", "--json", "--store", store, env=env)
    assert strict.returncode == 0, strict.stderr
    (reason,) = json.loads(strict.stdout)[0]["health"]
    assert reason.startswith("review overdue: the oldest has waited 60 min (limit 30 min)")
