"""Registering, deploying and rolling back on a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from registry_models import Models

from redline.domain import ActionStatus, ActionType, Route, Severity
from redline.errors import StoreError
from redline.services import apply_action, current_route, revert_action
from redline.services.artifacts import ArtifactError, sha256_of
from redline.services.registry import (
    RegistryError,
    current_version,
    deploy,
    list_deployments,
    list_versions,
    load_version,
    register_version,
)
from redline.store import Store, add_incident, list_audit, list_timeline


def register_both(store: Store, models: Models) -> None:
    register_version(
        store,
        model="credit",
        version="v1",
        artifact=models.v1_path,
        training_data_version="data-2026-01",
        metrics={"auc": 0.97},
        actor="person:alice",
    )
    register_version(store, model="credit", version="v2", artifact=models.v2_path, actor="ci")


def test_registered_versions_keep_their_artifact_hash_and_lineage(
    store: Store, models: Models
) -> None:
    register_both(store, models)
    v1, v2 = list_versions(store, "credit")
    assert (v1.version, v2.version) == ("v1", "v2")
    assert v1.artifact_uri == str(models.v1_path.resolve())
    assert Path(v1.artifact_uri).is_absolute()
    assert v1.sha256 == sha256_of(models.v1_path)
    assert (v1.training_data_version, v1.metrics, v1.registered_by) == (
        "data-2026-01",
        {"auc": 0.97},
        "person:alice",
    )
    register_version(store, model="credit", version="v1", artifact=models.v1_path, actor="x")
    assert len(list_versions(store, "credit")) == 2  # same artifact again: a no-op
    with pytest.raises(StoreError, match="a changed artifact needs a new version"):
        register_version(store, model="credit", version="v1", artifact=models.v2_path, actor="x")
    with store.session() as session:
        actions = [e.action for e in list_audit(session)]
    assert actions.count("model_version_registered") == 2


def test_deploys_append_history_and_route_revisions(store: Store, models: Models) -> None:
    register_both(store, models)
    with pytest.raises(RegistryError, match=r"no registered version 'v9' \(registered: v1, v2\)"):
        deploy(store, model="credit", version="v9", actor="alice", reason="typo")
    assert current_version(store, "credit") is None
    first = deploy(store, model="credit", version="v1", actor="alice", reason="launch")
    second = deploy(store, model="credit", version="v2", actor="bob", reason="retrained")
    assert (first.previous_version, second.previous_version) == (None, "v1")
    assert current_version(store, "credit") == "v2"
    with pytest.raises(RegistryError, match="already serves 'v2'"):
        deploy(store, model="credit", version="v2", actor="bob", reason="again")
    with store.session() as session:
        route = current_route(session, model="credit")
        audit = [e for e in list_audit(session) if e.action == "model_deployed"]
    assert (route.model_version, route.revision, route.mode) == ("v2", 2, Route.PRIMARY)
    assert [e.details["version"] for e in audit] == ["v1", "v2"]
    history = list_deployments(store, "credit")
    assert [(d.version, d.previous_version, d.reason) for d in history] == [
        ("v1", None, "launch"),
        ("v2", "v1", "retrained"),
    ]


def test_a_staging_alias_keeps_history_without_touching_the_route(
    store: Store, models: Models
) -> None:
    register_both(store, models)
    deploy(store, model="credit", version="v2", actor="ci", reason="candidate", alias="staging")
    assert current_version(store, "credit") is None
    assert current_version(store, "credit", alias="staging") == "v2"
    with store.session() as session:
        assert current_route(session, model="credit").revision == 0


def test_a_deploy_for_an_incident_lands_on_its_timeline(store: Store, models: Models) -> None:
    register_both(store, models)
    with store.session() as session:
        incident = add_incident(
            session,
            model="credit",
            title="approvals collapsed",
            category="performance",
            severity=Severity.SEV2,
            policy_version="1",
            detected_at=datetime.now(UTC),
        )
        key, incident_id = incident.key, incident.id
    with pytest.raises(RegistryError, match="no incident 'RL-1999-0001'"):
        deploy(
            store, model="credit", version="v1", actor="a", reason="r", incident_key="RL-1999-0001"
        )
    row = deploy(store, model="credit", version="v1", actor="a", reason="fix", incident_key=key)
    assert row.incident_id == incident_id
    with store.session() as session:
        kinds = [e.kind for e in list_timeline(session, incident_id=incident_id)]
    # Evidence before change: the snapshot comes first, then the deployment.
    assert kinds.index("snapshot_taken") < kinds.index("model_deployed")


def test_rollback_restores_the_recorded_previous_version_and_records_it(
    store: Store, models: Models
) -> None:
    register_both(store, models)
    deploy(store, model="credit", version="v1", actor="alice", reason="launch")
    deploy(store, model="credit", version="v2", actor="bob", reason="retrained")
    result = apply_action(store, model="credit", type=ActionType.ROLLBACK, trigger="policy:SEV2")
    assert (result.status, result.error) == (ActionStatus.APPLIED, None)
    with store.session() as session:
        assert current_route(session, model="credit").model_version == "v1"
    *_, last = list_deployments(store, "credit")
    assert (last.version, last.previous_version, last.reason, last.actor) == (
        "v1",
        "v2",
        "rollback",
        "policy:SEV2",
    )
    assert current_version(store, "credit") == "v1"

    revert_action(store, action_id=result.action_id, actor="person:carol")
    *_, reverted = list_deployments(store, "credit")
    assert (reverted.version, reverted.previous_version, reverted.actor) == (
        "v2",
        "v1",
        "person:carol",
    )
    assert current_version(store, "credit") == "v2"
    with store.session() as session:
        assert current_route(session, model="credit").model_version == "v2"


def test_rollback_without_a_previous_version_fails_clearly(store: Store, models: Models) -> None:
    register_both(store, models)
    deploy(store, model="credit", version="v1", actor="alice", reason="launch")
    result = apply_action(store, model="credit", type=ActionType.ROLLBACK, trigger="person:bob")
    assert result.status is ActionStatus.FAILED
    assert result.error is not None
    assert "deployment history has no previous version" in result.error
    assert [d.version for d in list_deployments(store, "credit")] == ["v1"]
    with store.session() as session:
        assert current_route(session, model="credit").model_version == "v1"


def test_loading_a_registered_version_checks_the_file_again(
    store: Store, models: Models, tmp_path: Path
) -> None:
    path = tmp_path / "credit.joblib"
    shutil.copy(models.v1_path, path)
    register_version(store, model="credit", version="v1", artifact=path, actor="alice")
    predictor = load_version(store, model="credit", version="v1", trust=True)
    assert [predictor(r) for r in models.rows] == models.own("v1")
    with pytest.raises(ArtifactError, match="runs code inside it"):
        load_version(store, model="credit", version="v1")
    shutil.copy(models.v2_path, path)  # swapped behind the registry's back
    with pytest.raises(ArtifactError, match="sha256 mismatch"):
        load_version(store, model="credit", version="v1", trust=True)
    with pytest.raises(RegistryError, match="no registered version 'v3'"):
        load_version(store, model="credit", version="v3", trust=True)
