"""RouteState revisions (optimistic concurrency), model versions and deployment history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from redline.errors import StoreError
from redline.store import (
    IncidentRow,
    StaleRevisionError,
    add_deployment,
    add_model_version,
    add_route_state,
    get_current_deployment,
    get_model_version,
    get_route_state,
    list_deployments,
    list_model_versions,
    list_route_states,
)

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
SHA_A = "a" * 64
SHA_B = "b" * 64


def _route(session: Session, revision: int, mode: str, *, model: str = "fraud") -> None:
    add_route_state(
        session,
        model=model,
        revision=revision,
        state={"mode": mode, "revision": revision},
        created_by="person:alice",
    )


def test_route_states_advance_one_revision_at_a_time(session: Session) -> None:
    assert get_route_state(session, model="fraud") is None
    _route(session, 1, "primary")
    _route(session, 2, "fallback")
    _route(session, 1, "primary", model="credit")
    session.expunge_all()

    latest = get_route_state(session, model="fraud")
    assert latest is not None
    assert (latest.revision, latest.state, latest.created_by) == (
        2,
        {"mode": "fallback", "revision": 2},
        "person:alice",
    )
    assert latest.created_at.tzinfo is UTC
    assert [r.revision for r in list_route_states(session, model="fraud")] == [1, 2]
    assert [r.revision for r in list_route_states(session, model="fraud", since_revision=1)] == [2]
    assert list_route_states(session, model="fraud", since_revision=2) == []


@pytest.mark.parametrize(("revision", "why"), [(2, "repeated"), (4, "skipped"), (0, "old")])
def test_a_revision_other_than_latest_plus_one_is_stale(
    session: Session, revision: int, why: str
) -> None:
    _route(session, 1, "primary")
    _route(session, 2, "fallback")
    with pytest.raises(
        StaleRevisionError, match=rf"is at revision 2, so the next one is 3, not {revision}"
    ):
        _route(session, revision, why)
    latest = get_route_state(session, model="fraud")
    assert latest is not None
    assert latest.state["mode"] == "fallback"  # untouched, and the transaction still works


def test_the_first_revision_is_one(session: Session) -> None:
    with pytest.raises(StaleRevisionError, match="is at revision 0, so the next one is 1, not 2"):
        _route(session, 2, "primary")
    assert isinstance(StaleRevisionError("x"), StoreError)


def test_model_versions_register_once_and_refuse_a_changed_artifact(session: Session) -> None:
    def register(version: str, sha256: str) -> int:
        return add_model_version(
            session,
            model="fraud",
            version=version,
            artifact_uri=f"s3://models/fraud/{version}.onnx",
            sha256=sha256,
            registered_by="ci",
            training_data_version="dvc:4f2a",
            metrics={"recall": 0.91},
        ).id

    v1 = register("v1", SHA_A)
    assert register("v1", SHA_A) == v1
    v2 = register("v2", SHA_B)
    with pytest.raises(StoreError, match=r"registered with sha256 a{64}, not b{64}"):
        register("v1", SHA_B)
    session.expunge_all()

    stored = get_model_version(session, model="fraud", version="v1")
    assert stored is not None
    assert (stored.sha256, stored.metrics, stored.training_data_version) == (
        SHA_A,
        {"recall": 0.91},
        "dvc:4f2a",
    )
    assert stored.registered_at.tzinfo is UTC
    assert [v.id for v in list_model_versions(session, model="fraud")] == [v1, v2]
    assert get_model_version(session, model="fraud", version="v9") is None


def test_deployments_record_the_version_they_replace(
    session: Session, incident: IncidentRow
) -> None:
    def deploy(version: str, minutes: int, *, alias: str = "production") -> None:
        add_deployment(
            session,
            model="fraud",
            version=version,
            at=T0 + timedelta(minutes=minutes),
            actor="person:bob",
            reason=f"deploy {version}",
            alias=alias,
            incident_id=incident.id if version == "v1" and minutes else None,
        )

    assert get_current_deployment(session, model="fraud") is None
    deploy("v1", 0)
    deploy("v2", 1)
    deploy("v9", 2, alias="shadow")
    deploy("v1", 3)  # the rollback
    session.expunge_all()

    history = list_deployments(session, model="fraud", alias="production")
    assert [(d.version, d.previous_version) for d in history] == [
        ("v1", None),
        ("v2", "v1"),
        ("v1", "v2"),
    ]
    assert history[-1].incident_id == incident.id
    assert history[-1].at.tzinfo is UTC
    assert [d.version for d in list_deployments(session, model="fraud")] == ["v1", "v2", "v9", "v1"]
    current = get_current_deployment(session, model="fraud")
    assert current is not None
    assert (current.version, current.reason) == ("v1", "deploy v1")
    shadow = get_current_deployment(session, model="fraud", alias="shadow")
    assert shadow is not None
    assert (shadow.version, shadow.previous_version) == ("v9", None)
