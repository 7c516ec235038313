"""The embedded Guard serving from the registry: a rollback reaches it, v1 loaded before use."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from registry_models import Models

import redline
from redline.domain import ActionStatus, ActionType, Route, Severity
from redline.services import apply_action, current_route
from redline.services.artifacts import ArtifactError
from redline.services.registry import RegistryError, deploy, list_deployments, register_version
from redline.store import Store, add_incident
from rltest.waiting import wait_for


def deploy_v1_then_v2(store: Store, models: Models) -> None:
    for version, path in (("v1", models.v1_path), ("v2", models.v2_path)):
        register_version(store, model="credit", version=version, artifact=path, actor="ci")
    deploy(store, model="credit", version="v1", actor="alice", reason="launch")
    deploy(store, model="credit", version="v2", actor="bob", reason="retrained")


def open_incident(store: Store) -> int:
    with store.session() as session:
        row = add_incident(
            session,
            model="credit",
            title="v2 approves at random",
            category="performance",
            severity=Severity.SEV2,
            policy_version="1",
            detected_at=datetime.now(UTC),
        )
        return row.id


def test_a_rollback_reaches_a_guard_built_from_the_registry(
    migrated_url: str, store: Store, models: Models
) -> None:
    deploy_v1_then_v2(store, models)
    incident_id = open_incident(store)
    with redline.Guard(
        model="credit",
        reference=models.reference,
        store=migrated_url,
        trust_artifacts=True,
        window_s=3600,
        route_poll_s=0.05,
    ) as guard:
        wait_for(lambda: guard.route.revision == 2)
        served = [guard.predict(row) for row in models.rows]
        assert {d.model_version for d in served} == {"v2"}
        assert [d.value for d in served] == models.own("v2")

        result = apply_action(
            store,
            model="credit",
            type=ActionType.ROLLBACK,
            trigger="policy:SEV2",
            incident_id=incident_id,
        )
        assert result.status is ActionStatus.APPLIED
        with store.session() as session:
            assert current_route(session, model="credit").model_version == "v1"

        wait_for(lambda: guard.route.model_version == "v1")
        # The route switched only after v1 was loaded: the very next request is v1's.
        served = [guard.predict(row) for row in models.rows]
        assert {(d.model_version, d.route, d.error) for d in served} == {
            ("v1", Route.PRIMARY, None)
        }
        assert [d.value for d in served] == models.own("v1")
        assert models.own("v1") != models.own("v2")

    history = list_deployments(store, "credit")
    assert [(d.version, d.previous_version, d.reason, d.incident_id) for d in history] == [
        ("v1", None, "launch", None),
        ("v2", "v1", "retrained", None),
        ("v1", "v2", "rollback", incident_id),
    ]


def test_a_guard_with_its_own_predict_still_rolls_back_to_registered_versions(
    migrated_url: str, store: Store, models: Models
) -> None:
    deploy_v1_then_v2(store, models)
    v2 = models.v2

    def predict(row: dict[str, float]) -> int:
        return int(v2.predict([[row["debt"], row["income"]]])[0])

    with redline.Guard(
        model="credit",
        predict=predict,
        model_version="v2",
        reference=models.reference,
        store=migrated_url,
        trust_artifacts=True,
        window_s=3600,
        route_poll_s=0.05,
    ) as guard:
        apply_action(store, model="credit", type=ActionType.ROLLBACK, trigger="person:carol")
        wait_for(lambda: guard.route.model_version == "v1")
        served = [guard.predict(row) for row in models.rows[:50]]
        assert {d.model_version for d in served} == {"v1"}
        assert [d.value for d in served] == models.own("v1", models.rows[:50])


def test_a_guard_without_predict_needs_a_deployed_version(
    migrated_url: str, store: Store, models: Models
) -> None:
    register_version(store, model="credit", version="v1", artifact=models.v1_path, actor="ci")
    with pytest.raises(RegistryError, match="model 'credit' has no deployed version"):
        redline.Guard(model="credit", reference=models.reference, store=migrated_url)
    with pytest.raises(TypeError, match="needs a store"):
        redline.Guard(model="credit", reference=models.reference, store=False)


def test_a_guard_refuses_pickled_artifacts_unless_trusted(
    migrated_url: str, store: Store, models: Models
) -> None:
    deploy_v1_then_v2(store, models)
    with pytest.raises(ArtifactError, match=r"credit-v2\.joblib runs code inside it"):
        redline.Guard(model="credit", reference=models.reference, store=migrated_url)
