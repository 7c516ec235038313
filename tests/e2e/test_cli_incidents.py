"""End-to-end: ``redline incidents|actions|routes|audit|db`` through the ``redline`` app
(in-process), on a SQLite store where a real Guard saw drifted traffic and opened a SEV2 incident."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from redline.domain import ActionType
from redline.services import apply_action, open_store
from rltest.cli import cli_env
from rltest.cli import invoke_redline as run_script
from rltest.credit import MODEL, credit_guard, fit_reference, send_traffic
from rltest.policy import drift_fallback_playbook


def run_redline(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command with plain output and no configured store."""
    return run_script(*args, env=cli_env(("COLUMNS", "REDLINE_STORE__URL"), extra=env))


def run_json(*args: str) -> Any:
    """Run a command with ``--json``; it must succeed and print JSON only."""
    result = run_redline(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file holding one SEV2 drift incident of ``credit``, contained by a fallback."""
    path = tmp_path_factory.mktemp("seeded") / "redline.db"
    playbook = drift_fallback_playbook()  # opts into rerouting confirmed drift
    with credit_guard(f"sqlite:///{path}", fit_reference(), playbook=playbook) as guard:
        send_traffic(guard, 1_000, shift=1.5, seed=1)
    with sqlite3.connect(path) as connection:  # fold the WAL into the file before copying it
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture
def url(seeded: Path, tmp_path: Path) -> str:
    """A private copy of the seeded store, for one test to change."""
    copy = tmp_path / "redline.db"
    shutil.copyfile(seeded, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def key(url: str) -> str:
    """The key of the incident the Guard opened."""
    (incident,) = run_json("incidents", "list", "--store", url)
    return str(incident["key"])


def test_list_prints_a_table_and_json_with_filters(url: str, key: str) -> None:
    table = run_redline("incidents", "list", "--store", url)
    assert table.returncode == 0, table.stderr
    for text in (key, "SEV2", "declared", MODEL, "feature drift", "age"):
        assert text in table.stdout
    (incident,) = run_json("incidents", "list", "--store", url, "--open", "--severity", "SEV2")
    assert incident["status"] == "declared"
    assert incident["model"] == MODEL
    assert incident["detected_at"].endswith("+00:00")
    assert run_json("incidents", "list", "--store", url, "--severity", "SEV1") == []
    assert run_json("incidents", "list", "--store", url, "--model", "other") == []
    statuses = ("--status", "triage", "--status", "declared")
    assert len(run_json("incidents", "list", "--store", url, *statuses)) == 1
    empty = run_redline("incidents", "list", "--store", url, "--status", "closed")
    assert (empty.returncode, empty.stdout, empty.stderr.strip()) == (0, "", "No incidents match.")


def test_list_reads_the_configured_store(url: str, key: str) -> None:
    result = run_redline("incidents", "list", env={"REDLINE_STORE__URL": url})
    assert result.returncode == 0, result.stderr
    assert key in result.stdout


def test_show_prints_evidence_actions_and_the_verified_timeline(url: str, key: str) -> None:
    page = run_redline("incidents", "show", key, "--store", url)
    assert page.returncode == 0, page.stderr
    for text in ("Signals", "wasserstein_norm", "->", "route_fallback", "Timeline", "opened"):
        assert text in page.stdout
    assert "✓ timeline hash chain verified" in page.stdout
    detail = run_json("incidents", "show", key, "--store", url)
    assert detail["incident"]["key"] == key
    assert detail["chain_intact"] is True
    assert {s["column"] for s in detail["signals"]} == {"x", "score"}
    assert all(s["evidence"]["top_moves"] for s in detail["signals"])
    assert [a["type"] for a in detail["actions"]] == ["route_fallback"]
    assert detail["actions"][0]["incident_key"] == key
    assert detail["timeline"][0]["kind"] == "opened"
    assert all(e["verified"] for e in detail["timeline"])
    assert detail["next_events"] == ["contain", "monitor"]


@pytest.mark.parametrize(
    "args",
    [
        ("incidents", "show"),
        ("incidents", "ack"),
        ("incidents", "close"),
        ("incidents", "transition", "RL-1999-0042", "declare"),
    ],
)
def test_an_unknown_incident_exits_2_naming_it(url: str, args: tuple[str, ...]) -> None:
    argv = args if len(args) > 2 else (*args, "RL-1999-0042")
    result = run_redline(*argv, "--store", url)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == ["Error: no incident 'RL-1999-0042'; `redline incidents list` shows them"]


def test_refused_transitions_exit_2_with_the_guards_message(url: str, key: str) -> None:
    contain = run_redline(
        "incidents", "transition", key, "contain", "--actor", "ana", "--store", url
    )
    assert contain.returncode == 2
    assert "no verified containment action yet" in contain.stderr
    assert "allowed now: none" in contain.stderr
    resolve = run_redline("incidents", "resolve", key, "--store", url)
    assert resolve.returncode == 2
    assert f"cannot resolve {key}: no 'resolve' from declared" in resolve.stderr
    unknown = run_redline("incidents", "transition", key, "vanish", "--store", url)
    assert unknown.returncode == 2
    assert "'vanish' is not one of" in unknown.stderr
    assert run_json("incidents", "show", key, "--store", url)["incident"]["status"] == "declared"


def test_transition_moves_the_incident_and_records_who_and_why(url: str, key: str) -> None:
    args = ("--actor", "ana", "--reason", "fallback serves", "--store", url)
    moved = run_redline("incidents", "transition", key, "monitor", *args)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip() == f"{key}: monitor -> monitoring"
    detail = run_json("incidents", "show", key, "--store", url)
    last = detail["timeline"][-1]
    assert (last["kind"], last["actor"]) == ("status", "person:ana")
    assert last["details"]["reason"] == "fallback serves"
    reopened = run_redline("incidents", "reopen", key, "--actor", "system:test", "--store", url)
    assert reopened.stdout.strip() == f"{key}: reopen -> declared"
    assert run_json("incidents", "show", key, "--store", url)["chain_intact"] is True


def test_severity_changes_need_a_reason_and_land_on_the_timeline(url: str, key: str) -> None:
    refused = run_redline("incidents", "severity", key, "SEV1", "--reason", " ", "--store", url)
    assert refused.returncode == 2
    assert "needs a reason" in refused.stderr
    changed = run_redline(
        "incidents",
        "severity",
        key,
        "SEV1",
        "--reason",
        "customers hit",
        "--actor",
        "ana",
        "--store",
        url,
    )
    assert changed.returncode == 0, changed.stderr
    detail = run_json("incidents", "show", key, "--store", url)
    assert detail["incident"]["severity"] == "SEV1"
    last = detail["timeline"][-1]
    assert (last["kind"], last["details"]["to"], last["details"]["reason"]) == (
        "severity_changed",
        "SEV1",
        "customers hit",
    )


def test_ack_records_the_first_acknowledgement_once(url: str, key: str) -> None:
    first = run_redline("incidents", "ack", key, "--actor", "ana", "--store", url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"{key}: acknowledged by person:ana at ")
    again = run_redline("incidents", "ack", key, "--actor", "bob", "--store", url)
    assert again.stdout.startswith(f"{key}: already acknowledged by person:ana at ")
    detail = run_json("incidents", "show", key, "--store", url)
    assert detail["incident"]["acknowledged_at"] is not None
    assert [e["actor"] for e in detail["timeline"] if e["kind"] == "acknowledged"] == ["person:ana"]


def test_actions_apply_list_and_revert(url: str, key: str) -> None:
    block = ("actions", "apply", MODEL, "block_source", "-p", "sources=10.0.0.0/8, tenant:acme")
    applied = run_json(*block, "--incident", key, "--actor", "ana", "--key", "k1", "--store", url)
    assert (applied["type"], applied["status"], applied["revision"]) == (
        "block_source",
        "applied",
        2,
    )
    repeat = run_json(*block, "--incident", key, "--key", "k1", "--store", url)
    assert (repeat["action_id"], repeat["created"]) == (applied["action_id"], False)
    rule = ("-p", "field=region", "-p", "op=in", "-p", 'value=["x","y"]', "-p", "action=review")
    plain = run_redline("actions", "apply", MODEL, "input_filter", *rule, "--store", url)
    assert plain.returncode == 0, plain.stderr
    assert "input_filter on credit applied, route revision 3" in plain.stdout

    listed = run_json("actions", "list", "--model", MODEL, "--store", url)
    assert [a["type"] for a in listed] == ["route_fallback", "block_source", "input_filter"]
    assert listed[1]["params"] == {"sources": ["10.0.0.0/8", "tenant:acme"]}
    assert listed[1]["trigger"] == "person:ana"
    assert listed[2]["params"] == {
        "field": "region",
        "op": "in",
        "value": ["x", "y"],
        "action": "review",
    }
    mine = run_json("actions", "list", "--incident", key, "--store", url)
    assert [a["type"] for a in mine] == ["route_fallback", "block_source"]
    table = run_redline("actions", "list", "--store", url)
    assert "block_source" in table.stdout
    assert key in table.stdout

    action_id = str(applied["action_id"])
    reverted = run_redline("actions", "revert", action_id, "--actor", "ana", "--store", url)
    assert reverted.returncode == 0, reverted.stderr
    assert reverted.stdout.strip() == f"action {action_id}: block_source reverted"
    state = run_json("routes", "show", MODEL, "--store", url)["state"]
    assert (state["blocked_sources"], state["mode"]) == ([], "fallback")
    twice = run_redline("actions", "revert", action_id, "--actor", "ana", "--store", url)
    assert twice.returncode == 2
    assert "cannot move action from reverted to reverted" in twice.stderr


def test_actions_that_cannot_be_applied_exit_2(url: str) -> None:
    rollback = run_redline("actions", "apply", MODEL, "rollback", "--store", url)
    assert rollback.returncode == 2
    assert "Error: action 2 (rollback on credit): cannot roll back 'credit'" in rollback.stderr
    assert run_json("actions", "list", "--store", url)[-1]["status"] == "failed"
    bad_param = run_redline(
        "actions", "apply", MODEL, "threshold_change", "-p", "0.7", "--store", url
    )
    assert bad_param.returncode == 2
    assert "'0.7' is not key=value" in bad_param.stderr
    missing = run_redline("actions", "revert", "99", "--store", url)
    assert (missing.returncode, missing.stderr.strip()) == (2, "Error: no action 99")


def test_routes_show_and_history(url: str) -> None:
    store = open_store(url)
    try:
        apply_action(
            store,
            model=MODEL,
            type=ActionType.THRESHOLD_CHANGE,
            trigger="person:test",
            params={"threshold": 0.7},
        )
    finally:
        store.dispose()
    shown = run_redline("routes", "show", MODEL, "--store", url)
    assert shown.returncode == 0, shown.stderr
    assert "credit: revision 2 by person:test" in shown.stdout
    assert "serving               fallback" in shown.stdout
    assert "confidence threshold  0.7" in shown.stdout
    view = run_json("routes", "show", MODEL, "--store", url)
    assert view["revision"] == 2
    assert view["changes"] == {"confidence_threshold": 0.7}
    history = run_redline("routes", "history", MODEL, "--store", url)
    assert "serving fallback" in history.stdout
    assert "confidence threshold 0.7" in history.stdout
    revisions = run_json("routes", "history", MODEL, "--store", url)
    assert [r["revision"] for r in revisions] == [1, 2]
    assert revisions[0]["created_by"].startswith("policy:")
    fresh = run_json("routes", "show", "unseen", "--store", url)
    assert (fresh["revision"], fresh["state"]["mode"], fresh["created_by"]) == (0, "primary", None)
    assert run_json("routes", "history", "unseen", "--store", url) == []


def _tamper(url: str, sql: str, trigger: str) -> None:
    """Change a stored row the way someone with database access could."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute(f"DROP TRIGGER {trigger}")
        connection.execute(sql)


def test_audit_verify_finds_a_changed_timeline_event(url: str, key: str) -> None:
    intact = run_redline("audit", "verify", "--store", url)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("✓ intact: 1 incident timeline")
    _tamper(
        url,
        'UPDATE timeline_events SET details = \'{"reason": "nothing happened"}\' WHERE seq = 2',
        "timeline_events_no_update",
    )
    broken = run_redline("audit", "verify", "--store", url)
    assert broken.returncode == 1
    assert f"✗ timeline of {key}: entry 2 fails the hash check" in broken.stdout
    report = json.loads(run_redline("audit", "verify", "--json", "--store", url).stdout)
    assert report["breaks"] == [
        {"chain": "timeline", "incident_key": key, "seq": 2, "problem": "hash"}
    ]
    detail = run_json("incidents", "show", key, "--store", url)
    assert (detail["chain_intact"], detail["broken_seq"]) == (False, 2)
    assert [e["verified"] for e in detail["timeline"][:2]] == [True, False]
    assert (
        "✗ timeline hash chain broken at event 2"
        in run_redline("incidents", "show", key, "--store", url).stdout
    )


def test_audit_verify_finds_a_changed_audit_entry(url: str) -> None:
    _tamper(
        url, "UPDATE audit_log SET actor = 'person:mallory' WHERE seq = 1", "audit_log_no_update"
    )
    broken = run_redline("audit", "verify", "--store", url)
    assert broken.returncode == 1
    assert "✗ audit log: entry 1 fails the hash check" in broken.stdout


def test_db_current_and_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    before = run_redline("db", "current", "--store", url)
    assert before.returncode == 2, before.stderr
    assert "does not exist; create or migrate it with 'redline db upgrade'" in before.stderr
    assert not (tmp_path / "new.db").exists()
    upgraded = run_redline("db", "upgrade", "--store", url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert re.fullmatch(rf"{re.escape(url)}: at migration \w+", upgraded.stdout.strip())
    assert run_redline("db", "current", "--store", url).stdout == upgraded.stdout
