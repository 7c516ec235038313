"""End-to-end: ``redline postmortem`` and ``redline export`` through the ``redline`` app,
on a SQLite store where a real Guard saw drift, fell back, and resolved a SEV2 incident."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from redline.domain import Route
from redline.services import open_store
from redline.services.catalog import save_reference
from rltest.cli import cli_env
from rltest.cli import invoke_redline as run_script
from rltest.credit import MODEL, credit_guard, fit_reference, send_traffic
from rltest.policy import drift_fallback_playbook
from rltest.waiting import wait_for


def run_redline(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a command with plain output and no configured store."""
    return run_script(*args, env=cli_env(("REDLINE_STORE__URL",), extra={"COLUMNS": "200"}))


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(store URL, incident key) of a resolved SEV2 drift incident with a drafted post-mortem."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pm') / 'redline.db'}"
    reference = fit_reference()
    store = open_store(url)
    save_reference(store, model=MODEL, body=reference.to_dict(), actor="person:test")
    store.dispose()
    playbook = drift_fallback_playbook()  # opts into rerouting confirmed drift
    with credit_guard(url, reference, route_poll_s=0.05, playbook=playbook) as guard:
        for seed, shift in [(11, 0.0), (12, 0.0), (1, 1.5), (2, 1.5), (3, 0.0), (4, 0.0), (5, 0.0)]:
            send_traffic(guard, 1_000, shift=shift, seed=seed)
        wait_for(lambda: guard.route.mode is Route.PRIMARY)  # quiet: the primary is restored
        send_traffic(guard, 1_000, shift=0.0, seed=6)  # a clean window on it verifies that
    listed = run_redline("incidents", "list", "--store", url, "--json")
    (incident,) = json.loads(listed.stdout)
    assert incident["status"] == "resolved"
    return url, str(incident["key"])


def test_show_edit_review_approve_close_and_export(
    resolved: tuple[str, str], tmp_path: Path
) -> None:
    url, key = resolved
    shown = run_redline("postmortem", "show", key, "--store", url)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"# Post-mortem {key}")
    assert "## Threshold backtest" in shown.stdout

    page = tmp_path / "pm.html"
    html = run_redline(
        "postmortem", "show", key, "--format", "html", "-o", str(page), "--store", url
    )
    assert html.returncode == 0, html.stderr
    assert "<svg" in page.read_text("utf-8")

    edited = tmp_path / "pm.md"
    edited.write_text(shown.stdout + "\nReviewed by the on-call team.\n", "utf-8")
    args = ("--store", url, "--actor", "bo")
    edit = run_redline(
        "postmortem",
        "edit",
        key,
        "--file",
        str(edited),
        "--reason",
        "notes",
        "--version",
        "1",
        *args,
    )
    assert edit.returncode == 0, edit.stderr
    assert "version 2" in edit.stdout
    stale = run_redline(
        "postmortem",
        "edit",
        key,
        "--file",
        str(edited),
        "--reason",
        "again",
        "--version",
        "1",
        *args,
    )
    assert stale.returncode == 2
    assert "re-read it" in stale.stderr

    assert run_redline("postmortem", "submit", key, *args).returncode == 0
    approve = run_redline("postmortem", "approve", key, "--by", "ana", "--store", url)
    assert approve.returncode == 0, approve.stderr
    assert "approved by person:ana" in approve.stdout
    assert run_redline("incidents", "close", key, *args).returncode == 0

    out = tmp_path / "art73.json"
    art73 = run_redline("export", "art73", key, "-o", str(out), "--store", url)
    assert art73.returncode == 0, art73.stderr
    document = json.loads(out.read_text("utf-8"))
    assert document["sha256"] in art73.stderr
    assert document["payload"]["report_type"] == "final"
    assessment = json.loads(run_redline("export", "assessment", key, "--store", url).stdout)
    assert [c["days"] for c in assessment["payload"]["clocks"]] == [15, 2, 10]


def test_bad_input_gets_one_line_and_changes_nothing(resolved: tuple[str, str]) -> None:
    url, key = resolved
    missing = run_redline("postmortem", "approve", "RL-1999-0001", "--by", "ana", "--store", url)
    assert missing.returncode == 2
    assert "no incident 'RL-1999-0001'" in missing.stderr
    fmt = run_redline("postmortem", "show", key, "--format", "pdf", "--store", url)
    assert fmt.returncode == 2
    assert "md, html" in fmt.stderr
    nist_html = run_redline("export", "art73", key, "--format", "pdf", "--store", url)
    assert nist_html.returncode == 2
    assert "json, md, html" in nist_html.stderr
