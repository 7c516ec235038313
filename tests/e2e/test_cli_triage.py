"""End-to-end: ``redline triage`` and ``redline blame`` through the ``redline`` app, on
a SQLite store where a real Guard saw one IP range send out-of-range traffic."""

from __future__ import annotations

import csv
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import redline
from redline.services import open_store
from rltest.cli import cli_env
from rltest.cli import invoke_redline as run_script
from rltest.credit import open_incident

ATTACKER = "198.51.100.0/24"


def run_redline(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a command with plain output and no configured store."""
    return run_script(*args, env=cli_env(("REDLINE_STORE__URL",)))


def _window(rng: np.random.Generator, attack: int) -> Iterator[tuple[dict[str, Any], str]]:
    """500 rows from two ranges; the first ``attack`` of them far out of range, from ATTACKER."""
    for i in range(500):
        row, source = {"x": float(rng.normal()), "z": float(rng.normal())}, "10.1.0.0/24"
        if i < attack:
            row["x"], source = float(rng.normal(15, 1)), ATTACKER
        yield row, source if i % 2 or i < attack else "10.2.0.0/24"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('triage') / 'redline.db'}"
    rng = np.random.default_rng(81)
    reference = redline.fit_reference(
        {"x": rng.normal(size=10_000), "z": rng.normal(size=10_000)}, window_sizes=[300, 1_000]
    )
    store = open_store(url)
    try:
        key = open_incident(store, reference, (_window(rng, attack) for attack in (0, 0, 0, 150)))
    finally:
        store.dispose()
    return url, key


def test_triage_shows_the_likely_cause_and_the_source(seeded: tuple[str, str]) -> None:
    url, key = seeded
    shown = run_redline("triage", key, "--store", url)
    assert shown.returncode == 0, shown.stderr
    assert "likely cause: adversarial_or_ood_traffic" in shown.stdout
    assert ATTACKER in shown.stdout
    as_json = run_redline("triage", key, "--store", url, "--json")
    assert as_json.returncode == 0, as_json.stderr
    body = json.loads(as_json.stdout)
    assert body["report"]["input_isolation"]["sources"][0]["name"] == ATTACKER


def test_blame_exports_the_decisions_served(seeded: tuple[str, str], tmp_path: Path) -> None:
    url, key = seeded
    out = tmp_path / "decisions.csv"
    done = run_redline("blame", key, "--store", url, "--json", "--export", str(out))
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    with out.open() as handle:
        assert len(list(csv.DictReader(handle))) == body["decisions_served"] == 500
    assert f"wrote 500 decisions to {out}" in done.stderr
    text = run_redline("blame", key, "--store", url)
    assert "Decisions served by the primary route: 500" in text.stdout


def test_bad_input_is_one_red_line(seeded: tuple[str, str], tmp_path: Path) -> None:
    url, key = seeded
    unknown = run_redline("triage", "RL-2026-9999", "--store", url)
    assert unknown.returncode == 2
    assert "no incident 'RL-2026-9999'" in unknown.stderr
    bad = run_redline("blame", key, "--store", url, "--export", str(tmp_path / "d.xlsx"))
    assert bad.returncode == 2
    assert ".csv or .parquet" in bad.stderr
    assert not (tmp_path / "d.xlsx").exists()
