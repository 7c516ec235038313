"""Snapshots in two steps: the manifest (hashes, ids, route) in the declaring transaction, the
bytes after it commits, checked against the manifest; pending ones completed once, by anyone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from snapshot_fixtures import store_fixture, world_fixture
from snapshot_world import MODEL, World, serve

from redline.domain import Severity
from redline.services.environments import local_instance, record_local_environment
from redline.services.snapshots import (
    complete_pending_snapshots,
    get_snapshot_view,
    list_snapshot_views,
    take_snapshot,
    take_snapshot_in,
    verify_snapshot,
)
from redline.store import (
    Store,
    add_incident,
    get_blob,
    get_snapshot_completion,
    list_incidents,
    list_incomplete_snapshots,
    list_timeline,
)

world = world_fixture()
store = store_fixture()

PLAYBOOK = """
version: 1
models:
  credit:
    reference: reference.json
    primary: credit:v1
severity:
  version: "t1"
  rules:
    - match: {levels: [alarm, critical]}
      severity: SEV1
    - match: {}
      severity: SEV3
runbooks:
  SEV1:
    actions: [snapshot, kill_switch]
"""


def _incident(store: Store) -> int:
    with store.session() as session:
        return add_incident(
            session,
            model=MODEL,
            title="drift",
            category="drift",
            severity=Severity.SEV2,
            policy_version="1",
            detected_at=datetime.now(UTC),
        ).id


def test_the_route_change_commits_between_the_manifest_and_the_bytes(
    migrated_url: str, store: Store, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    playbook = tmp_path / "redline.yaml"
    playbook.write_text(PLAYBOOK)
    monkeypatch.setenv("REDLINE_FORENSICS__PLAYBOOK", str(playbook))
    serve(migrated_url, world, n=1_000, shift=1.5, seed=2, playbook=playbook)
    with store.session() as session:
        (incident,) = list_incidents(session, model=MODEL)
        kinds = [e.kind for e in list_timeline(session, incident_id=incident.id)]
    (view,) = list_snapshot_views(store, incident_key=incident.key)
    applied = kinds.index("action_applied")
    assert kinds.index("snapshot_taken") < applied < kinds.index("snapshot_completed")
    declared = view.declared["model_version"]["artifact"]
    assert declared["status"] == "pending"
    assert declared["sha256"] == view.declared["model_version"]["artifact_sha256"]
    copied = view.manifest["model_version"]["artifact"]
    assert (copied["status"], copied["sha256"]) == ("copied", declared["sha256"])
    assert "snapshot_mismatch" not in kinds
    assert verify_snapshot(store, snapshot_id=view.id).ok


def test_inside_the_transaction_only_the_manifest_is_written(
    migrated_url: str, store: Store, world: World
) -> None:
    serve(migrated_url, world, n=300, shift=0.0, seed=1)
    with store.session() as session:
        row = take_snapshot_in(
            session, incident=None, model=MODEL, reason="on_demand", now=datetime.now(UTC)
        )
        deferred = {d["kind"]: d for d in row.manifest["deferred"]}
        assert {"artifact", "reference", "window", "code", "data"} <= set(deferred)
        registered = deferred["artifact"]["sha256"]
        assert get_blob(session, sha256=registered) is None  # no artifact byte yet
        assert get_snapshot_completion(session, snapshot_id=row.id) is None
        (window,) = row.manifest["observations"]["windows"]
        assert window["payload_sha256"] == deferred["window"]["content"]
        snapshot_id = row.id
    with store.reading() as session:  # committed: the copy ran right after
        assert get_blob(session, sha256=registered) is not None
        assert get_snapshot_completion(session, snapshot_id=snapshot_id) is not None
    view = get_snapshot_view(store, snapshot_id=snapshot_id)
    environment = view.declared["environment"]  # the embedded Guard that served reported it
    assert (environment["source"], environment["status"]) == ("guard", "recorded")
    assert environment["instance"] == local_instance()
    names = {f["name"] for f in view.manifest["files"]}
    assert {"reference.json", f"windows/{window['id']}.json", "model/artifact.joblib"} <= names
    assert view.complete
    assert verify_snapshot(store, snapshot_id=snapshot_id).ok


def test_a_copy_that_does_not_match_the_manifest_is_kept_and_reported(
    store: Store, world: World
) -> None:
    incident_id = _incident(store)
    original = world.path.read_bytes()
    try:
        with store.session() as session:
            (incident,) = list_incidents(session, model=MODEL)
            row = take_snapshot_in(
                session, incident=incident, model=MODEL, reason="declared", now=datetime.now(UTC)
            )
            snapshot_id = row.id
            world.path.write_bytes(original + b"tampered after the manifest")
    finally:
        world.path.write_bytes(original)
    with store.reading() as session:
        events = list_timeline(session, incident_id=incident_id)
    (mismatch,) = [e for e in events if e.kind == "snapshot_mismatch"]
    assert mismatch.details["snapshot_id"] == snapshot_id
    assert "model/artifact.joblib" in mismatch.details["problem"]
    view = get_snapshot_view(store, snapshot_id=snapshot_id)
    assert view.manifest["model_version"]["artifact_changed_since_registration"] is True
    result = verify_snapshot(store, snapshot_id=snapshot_id)
    assert not result.ok
    assert any("model/artifact.joblib: the copy hashes to" in p for p in result.problems())


def test_pending_snapshots_are_completed_once_by_whoever_runs_first(store: Store) -> None:
    with store.sessions.begin() as session:  # not Store.session: nothing runs after the commit
        row = take_snapshot_in(
            session, incident=None, model=MODEL, reason="on_demand", now=datetime.now(UTC)
        )
        snapshot_id = row.id
    with store.reading() as session:
        assert [r.id for r in list_incomplete_snapshots(session)] == [snapshot_id]
    pending = verify_snapshot(store, snapshot_id=snapshot_id)
    assert not pending.ok
    assert pending.problems() == [
        "what was deferred until after the change has not been copied yet"
    ]
    view = get_snapshot_view(store, snapshot_id=snapshot_id)
    assert not view.complete
    environment = view.manifest["environment"]  # no Guard sent one: this process's, said so
    assert environment["source"] == "local"
    assert "not necessarily the model server" in environment["note"]
    assert complete_pending_snapshots(store) == [snapshot_id]
    assert complete_pending_snapshots(store) == []
    assert verify_snapshot(store, snapshot_id=snapshot_id).ok
    with store.reading() as session:
        assert list_incomplete_snapshots(session) == []


def test_an_embedded_guard_s_own_report_is_the_environment_snapshots_record(store: Store) -> None:
    assert record_local_environment(store, model="never-seen") is None
    reported = record_local_environment(store, model=MODEL)
    assert reported is not None
    assert reported.instance == local_instance()
    view = take_snapshot(store, model=MODEL)
    section = view.declared["environment"]  # known before the snapshot: in the manifest itself
    assert (section["source"], section["instance"]) == ("guard", local_instance())
    assert section["fingerprint_sha256"] == reported.sha256
