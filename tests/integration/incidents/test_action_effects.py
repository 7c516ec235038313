"""Pure action effects run by the services on a real store: facts read before, records after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redline.domain import ActionStatus, ActionType, RouteState
from redline.services import apply_action, current_route, revert_action
from redline.services.registry import list_deployments
from redline.store import Store, get_action

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _route(store: Store, model: str) -> RouteState:
    with store.reading() as session:
        return current_route(session, model=model)


def test_reverting_one_block_keeps_a_source_blocked_after_it(store: Store) -> None:
    first = apply_action(
        store,
        model="m",
        type=ActionType.BLOCK_SOURCE,
        trigger="person:ana",
        params={"source": "10.0.0.0/8"},
        now=T0,
    )
    apply_action(
        store,
        model="m",
        type=ActionType.BLOCK_SOURCE,
        trigger="person:bo",
        params={"sources": ["tenant:acme", "10.0.0.0/8"]},
        now=T0 + timedelta(seconds=1),
    )
    assert _route(store, "m").blocked_sources == ("10.0.0.0/8", "tenant:acme")
    reverted = revert_action(
        store, action_id=first.action_id, actor="person:ana", now=T0 + timedelta(seconds=2)
    )
    assert reverted.status is ActionStatus.REVERTED
    assert _route(store, "m").blocked_sources == ("tenant:acme",)


def test_a_rollback_reads_the_history_then_records_its_deployment(store: Store) -> None:
    named = apply_action(
        store,
        model="credit",
        type=ActionType.ROLLBACK,
        trigger="person:ana",
        params={"version": "v1"},
        now=T0,
    )
    assert (named.status, _route(store, "credit").model_version) == (ActionStatus.APPLIED, "v1")
    assert [(d.version, d.reason) for d in list_deployments(store, "credit")] == [
        ("v1", "rollback")
    ]
    unnamed = apply_action(
        store, model="other", type=ActionType.ROLLBACK, trigger="person:ana", now=T0
    )
    assert unnamed.status is ActionStatus.FAILED
    assert "cannot roll back 'other'" in str(unnamed.error)
    assert list_deployments(store, "other") == []


def test_a_refused_automatic_rollback_records_no_deployment(store: Store) -> None:
    apply_action(
        store,
        model="credit",
        type=ActionType.ROLLBACK,
        trigger="person:ana",
        params={"version": "v1"},
        now=T0,
    )
    refused = apply_action(
        store,
        model="credit",
        type=ActionType.ROLLBACK,
        trigger="policy:sev1",
        params={"version": "v0"},
        now=T0 + timedelta(seconds=1),
    )
    assert refused.status is ActionStatus.FAILED
    assert "refused" in str(refused.error)
    assert [d.version for d in list_deployments(store, "credit")] == ["v1"]
    assert _route(store, "credit").model_version == "v1"
    with store.reading() as session:
        row = get_action(session, action_id=refused.action_id)
        assert row is not None
        assert row.after_state is None
