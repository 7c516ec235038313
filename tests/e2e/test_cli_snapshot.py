"""End-to-end: ``redline snapshot take|list|show|verify|export`` and ``redline replay`` through the
``redline`` app, on a SQLite store where a registered scikit-learn model served traffic."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import tarfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import redline
from redline.services import open_store
from redline.services.catalog import save_reference
from redline.services.registry import deploy, register_version
from rltest.cli import cli_env, invoke_redline


def run(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(("REDLINE_STORE__URL",), extra={"COLUMNS": "200"})
    return invoke_redline(*args, "--store", url, env=env)


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("cli-snapshot")
    rng = np.random.default_rng(7)
    train = pd.DataFrame({"income": rng.normal(size=2_000), "debt": rng.normal(size=2_000)})
    model = LogisticRegression().fit(train, (train["income"] > train["debt"]).astype(int))
    joblib.dump(model, directory / "credit.joblib")
    columns = {**{c: train[c].to_numpy() for c in train}, "approve": model.predict(train)}
    reference = redline.fit_reference(columns, prediction="approve", window_sizes=[200, 1_000])
    store_url = f"sqlite:///{directory / 'redline.db'}"
    store = open_store(store_url)
    try:
        save_reference(store, model="credit", body=reference.to_dict(), actor="ci")
        register_version(
            store, model="credit", version="v1", artifact=directory / "credit.joblib", actor="ci"
        )
        deploy(store, model="credit", version="v1", actor="alice", reason="launch")
    finally:
        store.dispose()
    with redline.Guard(
        model="credit", reference=reference, store=store_url, trust_artifacts=True, window_s=3600
    ) as guard:
        for row in train.head(300).to_dict(orient="records"):
            guard.predict(row)
        guard.flush()
    return store_url


def test_take_list_show_verify_export_and_replay(url: str, tmp_path: Path) -> None:
    taken = run("snapshot", "take", "--model", "credit", "--actor", "alice", "--json", url=url)
    assert taken.returncode == 0, taken.stderr
    snapshot_id = json.loads(taken.stdout)["id"]

    listed = run("snapshot", "list", "--json", url=url)
    assert [s["id"] for s in json.loads(listed.stdout)] == [snapshot_id]
    table = run("snapshot", "list", url=url)
    assert snapshot_id[:12] in table.stdout

    shown = run("snapshot", "show", snapshot_id[:10], url=url)
    assert shown.returncode == 0, shown.stderr
    assert "environment.json" in shown.stdout
    assert "credit v1" in shown.stdout

    verified = run("snapshot", "verify", snapshot_id, url=url)
    assert (verified.returncode, "intact" in verified.stdout) == (0, True)

    out = tmp_path / "evidence.tar.gz"
    exported = run("snapshot", "export", snapshot_id, "-o", str(out), url=url)
    assert exported.returncode == 0, exported.stderr
    with tarfile.open(out) as tar:
        assert {"README.txt", "manifest.json"} <= set(tar.getnames())

    replayed = run("replay", snapshot_id, "--trust-artifacts", "--json", url=url)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    report = json.loads(replayed.stdout)
    assert report["reproduced"] is True
    assert report["divergence"]["compared"] > 0

    refused = run("replay", snapshot_id, url=url)
    assert refused.returncode == 2
    assert refused.stderr.startswith("Error:")
    assert "Traceback" not in refused.stderr


def test_verify_exits_1_when_a_byte_changed(url: str) -> None:
    taken = run("snapshot", "take", "--model", "credit", "--json", url=url)
    snapshot_id = json.loads(taken.stdout)["id"]
    shown = json.loads(run("snapshot", "show", snapshot_id, "--json", url=url).stdout)
    digest = next(
        f["sha256"] for f in shown["manifest"]["files"] if f["name"] == "environment.json"
    )
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        (trigger,) = connection.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'blobs_no_update'"
        ).fetchone()
        connection.execute("DROP TRIGGER blobs_no_update")
        (content,) = connection.execute(
            "SELECT content FROM blobs WHERE sha256 = ?", (digest,)
        ).fetchone()
        changed = content[:-1] + bytes([content[-1] ^ 0x01])
        connection.execute("UPDATE blobs SET content = ? WHERE sha256 = ?", (changed, digest))
        connection.execute(trigger)
        connection.commit()
        broken = run("snapshot", "verify", snapshot_id, url=url)
        assert broken.returncode == 1
        assert "environment.json" in broken.stdout
        connection.execute("DROP TRIGGER blobs_no_update")
        connection.execute("UPDATE blobs SET content = ? WHERE sha256 = ?", (content, digest))
        connection.execute(trigger)
        connection.commit()
    finally:
        connection.close()
    assert run("snapshot", "verify", snapshot_id, url=url).returncode == 0


def test_unknown_ids_are_one_line_errors(url: str) -> None:
    missing = run("snapshot", "show", "deadbeefdeadbeef", url=url)
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1
    assert "no snapshot" in missing.stderr
