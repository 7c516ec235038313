"""Snapshots in the response: before the kill switch of a SEV1, before a first manual action;
and no secret from the playbook or the environment in any byte of the evidence."""

from __future__ import annotations

import gzip
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from snapshot_fixtures import store_fixture, world_fixture
from snapshot_world import MODEL, World, serve

from redline.domain import ActionType, Severity
from redline.services import apply_action
from redline.services.snapshots import export_snapshot, list_snapshot_views, verify_snapshot
from redline.store import Store, add_incident, list_actions, list_incidents, list_timeline

HOOK_TOKEN = "hooktoken-5f1e9c2a7d"
URL_TOKEN = "whpath8c3b1a9e77d4f0"
PASSWORD = "pw-Qx7-never-stored"

PLAYBOOK = f"""
version: 1
models:
  credit:
    reference: reference.json
    primary: credit:v1
severity:
  version: "t1"
  rules:
    - match: {{levels: [alarm, critical]}}
      severity: SEV1
    - match: {{}}
      severity: SEV3
runbooks:
  SEV1:
    actions: [snapshot, kill_switch]
notifications:
  hook:
    type: webhook
    url: https://hooks.example.com/services/{URL_TOKEN}
    headers: {{Authorization: "Bearer ${{HOOK_TOKEN}}"}}
    severities: [SEV3]
"""


world = world_fixture()
store = store_fixture()


@pytest.fixture
def playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "redline.yaml"
    path.write_text(PLAYBOOK)
    monkeypatch.setenv("HOOK_TOKEN", HOOK_TOKEN)
    monkeypatch.setenv("SERVICE_PASSWORD", PASSWORD)
    monkeypatch.setenv("REDLINE_FORENSICS__PLAYBOOK", str(path))
    return path


def test_a_sev1_is_snapshotted_before_its_kill_switch(
    migrated_url: str, store: Store, world: World, playbook: Path
) -> None:
    serve(migrated_url, world, n=1_000, shift=1.5, seed=2, playbook=playbook)
    with store.session() as session:
        (incident,) = list_incidents(session, model=MODEL)
        assert incident.severity == "SEV1"
        kinds = [e.kind for e in list_timeline(session, incident_id=incident.id)]
        (action,) = list_actions(session, incident_id=incident.id)
    assert action.type == ActionType.KILL_SWITCH.value
    first_action = min(i for i, k in enumerate(kinds) if k.startswith("action_"))
    assert kinds.index("snapshot_taken") < first_action
    assert kinds.count("snapshot_taken") == 1
    (view,) = list_snapshot_views(store, incident_key=incident.key)
    assert (view.reason, view.incident, action.snapshot_id) == ("declared", incident.key, view.id)
    assert view.manifest["config"]["playbook"] == "config/playbook.json"
    assert verify_snapshot(store, snapshot_id=view.id).ok


def test_no_secret_reaches_any_blob_or_the_manifest(
    migrated_url: str, store: Store, world: World, playbook: Path, tmp_path: Path
) -> None:
    serve(migrated_url, world, n=1_000, shift=1.5, seed=3, playbook=playbook)
    (view,) = list_snapshot_views(store, model=MODEL)
    path = export_snapshot(store, snapshot_id=view.id, path=tmp_path / "evidence.tar.gz")
    raw = gzip.decompress(path.read_bytes())  # every member, headers and bytes, uncompressed
    for secret in (HOOK_TOKEN, URL_TOKEN, PASSWORD):
        assert secret.encode() not in raw
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert f"files/{_sha(view.manifest, 'config/playbook.json')}" in names
    assert b'"hook":{"headers":{"Authorization":' in raw  # the channel is kept, not its secrets
    assert b"SERVICE_PASSWORD" in raw  # the variable's name is evidence, its value is not


def _sha(manifest: dict[str, object], name: str) -> str:
    files = manifest["files"]
    assert isinstance(files, list)
    return str(next(f["sha256"] for f in files if f["name"] == name))


def _declare(store: Store, title: str, severity: Severity) -> int:
    """A performance incident of MODEL declared now; its id."""
    with store.session() as session:
        return add_incident(
            session,
            model=MODEL,
            title=title,
            category="performance",
            severity=severity,
            policy_version="1",
            detected_at=datetime.now(UTC),
        ).id


def test_the_first_manual_action_on_an_incident_takes_a_snapshot_first(store: Store) -> None:
    incident_id = _declare(store, "declared by a person", Severity.SEV2)
    results = [
        apply_action(
            store,
            model=MODEL,
            type=ActionType.THRESHOLD_CHANGE,
            trigger="person:alice",
            params={"threshold": threshold},
            incident_id=incident_id,
        )
        for threshold in (0.7, 0.8)
    ]
    with store.session() as session:
        actions = list_actions(session, incident_id=incident_id)
        kinds = [e.kind for e in list_timeline(session, incident_id=incident_id)]
    (view,) = list_snapshot_views(store, model=MODEL)
    assert view.reason == "before_action"
    assert {a.snapshot_id for a in actions} == {view.id}
    assert len(results) == 2
    assert kinds[0] == "snapshot_taken"


def test_a_failed_snapshot_is_recorded_and_containment_proceeds(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDLINE_FORENSICS__WINDOWS_BEFORE", "-5")  # invalid: capture fails
    incident_id = _declare(store, "snapshot cannot be taken", Severity.SEV1)
    result = apply_action(
        store,
        model=MODEL,
        type=ActionType.ROUTE_FALLBACK,
        trigger="person:alice",
        incident_id=incident_id,
    )
    with store.session() as session:
        events = list_timeline(session, incident_id=incident_id)
    assert [e.kind for e in events][:2] == ["snapshot_failed", "action_applied"]
    assert "windows_before" in events[0].details["error"]
    assert result.status.value == "applied"
    assert list_snapshot_views(store, model=MODEL) == []
