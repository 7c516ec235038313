"""The whole loop on a real store: drift → SEV2 incident → fallback applied (a playbook that
opts into it), reaching the Guard, verified by the next window → contained → monitoring → quiet
windows → resolved; and by default, drift alone keeps evidence without moving traffic."""

from __future__ import annotations

import pytest

import redline
from redline.domain import ActionStatus, ActionType, IncidentEvent, Route
from redline.domain.timeline import verify_chain
from redline.domain.transitions import TransitionError
from redline.profiles.reference import Reference
from redline.services import transition_incident
from redline.store import Store, list_actions, list_incidents, list_timeline
from rltest.credit import credit_guard, fit_reference, primary, send_traffic
from rltest.policy import drift_fallback_playbook
from rltest.waiting import wait_for


@pytest.fixture(scope="module")
def reference() -> Reference:
    return fit_reference()


def test_drift_is_contained_verified_and_resolved(migrated_url: str, reference: Reference) -> None:
    playbook = drift_fallback_playbook()
    with credit_guard(migrated_url, reference, route_poll_s=0.05, playbook=playbook) as guard:
        send_traffic(guard, 1_000, shift=1.5, seed=1)
        store = Store.from_url(migrated_url)
        try:
            with store.session() as session:
                (incident,) = list_incidents(session, model="credit")
                key = incident.key
                assert (incident.severity, incident.status) == ("SEV2", "declared")
                (action,) = list_actions(session, incident_id=incident.id)
                assert (action.type, action.status) == (ActionType.ROUTE_FALLBACK.value, "applied")
            wait_for(lambda: guard.route.mode is Route.FALLBACK)
            assert guard.predict({"x": 0.1, "region": "n"}).route is Route.FALLBACK

            # Still drifted, now served by the fallback.
            send_traffic(guard, 1_000, shift=1.5, seed=2)
            with store.session() as session:
                (incident,) = list_incidents(session, model="credit")
                assert incident.status == "monitoring"
                (action,) = list_actions(session, incident_id=incident.id)
                assert action.status == ActionStatus.VERIFIED.value
                assert action.verification is not None
                assert action.verification["routes"]["fallback"] > 0

            for seed in (3, 4, 5):  # inputs back to normal
                send_traffic(guard, 1_000, shift=0.0, seed=seed)
            with store.session() as session:  # quiet on the fallback: the primary comes back
                (incident,) = list_incidents(session, model="credit")
                assert incident.status == "monitoring"
                types = {a.type: a.status for a in list_actions(session, incident_id=incident.id)}
                assert types == {"route_fallback": "verified", "restore": "applied"}
            wait_for(lambda: guard.route.mode is Route.PRIMARY)

            send_traffic(guard, 1_000, shift=0.0, seed=6)  # a clean window on the primary
            with store.session() as session:
                (incident,) = list_incidents(session, model="credit")
                assert incident.status == "resolved"
                assert incident.postmortem_required
                types = {a.type: a.status for a in list_actions(session, incident_id=incident.id)}
                assert types == {"route_fallback": "reverted", "restore": "verified"}
                events = list_timeline(session, incident_id=incident.id)
                kinds = [e.kind for e in events]
                assert kinds[0] == "opened"
                assert {"action_applied", "action_verified", "snapshot_taken"} <= set(kinds)
                assert "action_reverted" in kinds
                chain = [
                    ({"at": e.at, "actor": e.actor, "kind": e.kind, "details": e.details}, e.hash)
                    for e in events
                ]
                assert verify_chain(chain) is None

            with pytest.raises(TransitionError, match="post-mortem"):
                transition_incident(store, key=key, event=IncidentEvent.CLOSE, actor="person:ana")
        finally:
            store.dispose()


def test_by_default_drift_alone_is_investigated_without_moving_traffic(
    migrated_url: str, reference: Reference
) -> None:
    with credit_guard(migrated_url, reference, route_poll_s=0.05) as guard:
        send_traffic(guard, 1_000, shift=1.5, seed=1)
        send_traffic(guard, 1_000, shift=1.5, seed=2)
        assert guard.predict({"x": 0.1, "region": "n"}).route is Route.PRIMARY
    store = Store.from_url(migrated_url)
    try:
        with store.session() as session:
            (incident,) = list_incidents(session, model="credit")
            assert (incident.severity, incident.status) == ("SEV2", "declared")
            assert list_actions(session, incident_id=incident.id) == []
            kinds = [e.kind for e in list_timeline(session, incident_id=incident.id)]
            assert "snapshot_taken" in kinds
            assert "action_applied" not in kinds
    finally:
        store.dispose()


def test_no_incident_without_drift(migrated_url: str, reference: Reference) -> None:
    with redline.Guard(
        model="quiet", predict=primary, reference=reference, store=migrated_url, window_s=3600
    ) as guard:
        send_traffic(guard, 1_000, shift=0.0, seed=9)
    store = Store.from_url(migrated_url)
    try:
        with store.session() as session:
            assert list_incidents(session, model="quiet") == []
    finally:
        store.dispose()
