"""Chain heads kept outside the store catch what the chains alone cannot: deleted newest
entries, a vanished incident, a chain rebuilt and re-sealed from scratch, a forged head."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from redline.domain.chain_head import ChainHead, ChainTip
from redline.domain.timeline import GENESIS, chain_hashes
from redline.services import open_store
from redline.services.integrity import take_chain_head, verify_chains
from redline.services.notes import add_note
from redline.services.snapshot_views import require_snapshot_in
from redline.services.snapshots import take_snapshot
from redline.store import Store, get_blob, list_audit
from rltest.cli import invoke_redline
from rltest.credit import MODEL, credit_guard, fit_reference, send_traffic

KEY = b"k" * 32


@pytest.fixture
def store(migrated_url: str) -> Iterator[Store]:
    """A store with one drift incident, a note on it and an audit log."""
    with credit_guard(migrated_url, fit_reference()) as guard:
        send_traffic(guard, 1_000, shift=1.5, seed=1)
    opened = open_store(migrated_url)
    add_note(opened, key=_only_key(opened), text="looking", actor="person:ana")
    yield opened
    opened.dispose()


def _only_key(store: Store) -> str:
    (key,) = take_chain_head(store).timelines
    return key


def _unguarded(store: Store, table: str, *statements: str) -> None:
    """Run ``statements`` past the append-only triggers, as a database owner could."""
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        else:
            for action in ("update", "delete"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
        for statement in statements:
            connection.execute(text(statement))


def _problems(store: Store, head: ChainHead, key: bytes | None = None) -> list[tuple[str, str]]:
    report = verify_chains(store, head=head, key=key)
    return [(b.chain, b.problem) for b in report.breaks]


def test_a_head_of_an_unchanged_store_verifies(store: Store) -> None:
    head = take_chain_head(store, key=KEY)
    assert head.mac_valid(KEY)
    assert not head.mac_valid(b"x" * 32)
    assert verify_chains(store, head=head, key=KEY).intact
    assert head.audit.length >= 2
    assert ChainHead.from_dict(json.loads(json.dumps(head.to_dict()))) == head


def test_deleted_newest_entries_pass_the_chain_check_but_not_the_head(store: Store) -> None:
    head = take_chain_head(store)
    last = head.audit.length
    _unguarded(store, "audit_log", f"DELETE FROM audit_log WHERE seq = {last}")
    timeline = head.timelines[_only_key(store)].length
    _unguarded(store, "timeline_events", f"DELETE FROM timeline_events WHERE seq = {timeline}")
    assert verify_chains(store).intact
    assert _problems(store, head) == [("timeline", "truncated"), ("audit", "truncated")]


def test_a_resealed_chain_passes_alone_but_not_against_the_head(store: Store) -> None:
    head = take_chain_head(store)
    with store.session() as session:
        rows = list_audit(session)
        payloads = [
            {
                "at": r.at,
                "actor": "person:mallory",
                "action": r.action,
                "target": r.target,
                "details": r.details,
            }
            for r in rows
        ]
    hashes = chain_hashes(payloads)
    updates = [
        f"UPDATE audit_log SET actor = 'person:mallory', hash = '{digest}', prev_hash = '{prev}' "
        f"WHERE seq = {row.seq}"
        for row, digest, prev in zip(rows, hashes, [GENESIS, *hashes[:-1]], strict=True)
    ]
    _unguarded(store, "audit_log", *updates)
    assert verify_chains(store).intact
    assert _problems(store, head) == [("audit", "rewritten")]


def test_an_incident_missing_from_the_store_is_named(store: Store) -> None:
    head = take_chain_head(store)
    ghost = replace(head, timelines={**head.timelines, "RL-1999-0001": ChainTip(3, "a" * 64)})
    report = verify_chains(store, head=ghost)
    assert [b.to_dict() for b in report.breaks] == [
        {"chain": "timeline", "incident_key": "RL-1999-0001", "seq": 3, "problem": "missing"}
    ]
    assert "is gone" in report.breaks[0].describe()


def test_a_forged_head_fails_its_mac(store: Store) -> None:
    head = take_chain_head(store, key=KEY)
    forged = replace(head, audit=ChainTip(head.audit.length - 1, head.audit.hash))
    assert ("head", "mac") in _problems(store, forged, KEY)


def test_the_cli_writes_a_head_and_verifies_against_it(
    store: Store, migrated_url: str, tmp_path: Path
) -> None:
    key_file, head_file = tmp_path / "head.key", tmp_path / "head.json"
    key_file.write_bytes(KEY)
    written = invoke_redline(
        "audit", "head", "--key-file", key_file, "-o", head_file, "--store", migrated_url
    )
    assert written.returncode == 0, written.stderr
    verify = ["audit", "verify", "--head", str(head_file), "--key-file", str(key_file)]
    assert invoke_redline(*verify, "--store", migrated_url).returncode == 0
    last = json.loads(head_file.read_text())["audit"]["length"]
    _unguarded(store, "audit_log", f"DELETE FROM audit_log WHERE seq = {last}")
    broken = invoke_redline(*verify, "--store", migrated_url)
    assert broken.returncode == 1
    assert "ends before entry" in broken.stdout
    head_file.write_text("{not json", encoding="utf-8")
    unreadable = invoke_redline(*verify, "--store", migrated_url)
    assert unreadable.returncode == 2
    assert "is not a chain head" in unreadable.stderr


def test_a_snapshot_carries_the_chain_head_it_was_taken_at(store: Store) -> None:
    before = take_chain_head(store)
    view = take_snapshot(store, model=MODEL, incident_key=_only_key(store))
    with store.session() as session:
        manifest = require_snapshot_in(session, snapshot_id=view.id).manifest
        (entry,) = [f for f in manifest["files"] if f["name"] == "chain_head.json"]
        blob = get_blob(session, sha256=entry["sha256"])
        assert blob is not None
        recorded = ChainHead.from_dict(json.loads(bytes(blob.content)))
    assert recorded.digest() == before.digest()
    assert verify_chains(store, head=recorded).intact
