"""Every containment has an exit: a verified restore to the primary, or a person accepting it.

Windows are built by hand (routes served, route revision, signals) and recorded through the
same services a Guard's sink uses, so every step is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

import redline
from redline.domain import (
    ActionStatus,
    ActionType,
    IncidentEvent,
    Level,
    Route,
    Severity,
    SeverityPolicy,
    SeverityRule,
    Signal,
    SignalMatch,
    TransitionError,
)
from redline.guard.sinks import ClosedWindow
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services import apply_action, revert_action, transition_incident
from redline.services.effects import ActionError
from redline.services.ingest import record_window
from redline.services.response import ResponsePlan
from redline.services.restore import RestoreError, restore_incident
from redline.services.routes import current_route
from redline.store import (
    ActionRow,
    IncidentRow,
    Store,
    list_actions,
    list_audit,
    list_incidents,
    list_timeline,
)

MODEL = "scorer"
START = datetime(2026, 12, 1, tzinfo=UTC)
#: Confirmed drift routes to the fallback: a policy of this test's own, whatever the default.
PLAN = ResponsePlan(
    policy=SeverityPolicy(
        version="exit-test",
        rules=(
            SeverityRule(
                name="drift_fallback",
                match=SignalMatch(kinds=frozenset({"feature_drift"})),
                severity=Severity.SEV2,
                actions=(ActionType.SNAPSHOT, ActionType.ROUTE_FALLBACK),
            ),
        ),
    )
)


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(5)
    x = rng.normal(size=5_000)
    return redline.fit_reference({"x": x, "score": 2 * x}, prediction="score", window_sizes=[300])


@pytest.fixture
def store(migrated_url: str) -> Iterator[Store]:
    opened = Store.from_url(migrated_url)
    try:
        yield opened
    finally:
        opened.dispose()


class Feed:
    """Hourly windows of MODEL, each served on one route under a revision, with or without drift."""

    def __init__(
        self, store: Store, reference: Reference, step: timedelta = timedelta(hours=1)
    ) -> None:
        self.store, self.reference, self.hour, self.step = store, reference, 0, step

    def window(
        self,
        route: Route,
        *,
        drift: bool = False,
        revision: int | None = None,
        respond: bool = True,
    ) -> None:
        start = START + self.step * self.hour
        self.hour += 1
        window = WindowProfile.empty(self.reference, start=start, end=start + self.step)
        window.n_rows, window.routes = 500, {route.value: 500}
        if revision is None:
            with self.store.reading() as session:
                revision = current_route(session, model=MODEL).revision
        window.route_revision = revision
        signals = [_drift(window)] if drift else []
        closed = ClosedWindow(MODEL, window, signals, [], [], [])
        record_window(self.store, closed, plan=PLAN if respond else None)


def _drift(window: WindowProfile) -> Signal:
    return Signal(
        monitor="numeric_drift",
        kind="feature_drift",
        column="x",
        statistic="wasserstein_norm",
        value=0.5,
        threshold=0.1,
        level=Level.ALARM,
        window_start=window.start,
        window_end=window.end,
        n_rows=window.n_rows,
        model=MODEL,
    )


def incident_and_actions(store: Store) -> tuple[IncidentRow, list[ActionRow]]:
    with store.session() as session:
        (incident,) = list_incidents(session, model=MODEL)
        return incident, list_actions(session, incident_id=incident.id)


def by_type(actions: list[ActionRow], type: ActionType) -> list[ActionRow]:
    return [a for a in actions if a.type == type.value]


def route_of(store: Store) -> redline.RouteState:
    with store.reading() as session:
        return current_route(session, model=MODEL)


def contained_and_quiet(feed: Feed) -> None:
    """Drift → SEV2 → fallback verified → monitoring → two more quiet windows on the fallback."""
    feed.window(Route.PRIMARY, drift=True)
    for _ in range(3):
        feed.window(Route.FALLBACK)


def test_quiet_windows_restore_the_primary_and_a_clean_window_resolves(
    store: Store, reference: Reference
) -> None:
    feed = Feed(store, reference)
    contained_and_quiet(feed)
    incident, actions = incident_and_actions(store)
    (fallback,) = by_type(actions, ActionType.ROUTE_FALLBACK)
    (restore,) = by_type(actions, ActionType.RESTORE)
    assert incident.status == "monitoring"  # resolving waits for the restore
    assert (fallback.status, restore.status) == ("verified", "applied")
    assert (restore.trigger, restore.params["lifts"]) == ("system", [fallback.id])
    assert route_of(store).mode is Route.PRIMARY

    feed.window(Route.PRIMARY)
    incident, actions = incident_and_actions(store)
    assert incident.status == "resolved"
    assert {a.type: a.status for a in actions} == {
        "route_fallback": "reverted",
        "restore": "verified",
    }
    with store.session() as session:
        events = list_timeline(session, incident_id=incident.id)
    (lifted,) = [e.details for e in events if e.kind == "action_reverted"]
    assert (lifted["action_id"], lifted["restore_id"]) == (fallback.id, restore.id)
    assert route_of(store).mode is Route.PRIMARY
    with pytest.raises(TransitionError, match="a verified restore is final"):
        revert_action(store, action_id=restore.id, actor="person:ana")


def test_drift_back_soon_after_a_restore_is_contained_again(
    store: Store, reference: Reference
) -> None:
    feed = Feed(store, reference, step=timedelta(minutes=1))
    contained_and_quiet(feed)
    feed.window(Route.PRIMARY)  # the restore verifies; the incident resolves
    assert incident_and_actions(store)[0].status == "resolved"
    feed.window(Route.PRIMARY, drift=True)  # within minutes: the same incident comes back
    incident, actions = incident_and_actions(store)
    assert incident.status != "resolved"
    fallbacks = by_type(actions, ActionType.ROUTE_FALLBACK)
    assert [a.status for a in fallbacks] == ["reverted", "applied"]
    assert route_of(store).mode is Route.FALLBACK


def test_a_restore_whose_window_is_not_clean_puts_the_containment_back(
    store: Store, reference: Reference
) -> None:
    feed = Feed(store, reference)
    contained_and_quiet(feed)
    restored_revision = route_of(store).revision
    feed.window(Route.PRIMARY, drift=True)
    incident, actions = incident_and_actions(store)
    (fallback,) = by_type(actions, ActionType.ROUTE_FALLBACK)
    (restore,) = by_type(actions, ActionType.RESTORE)
    assert incident.status == "monitoring"
    assert (fallback.status, restore.status) == ("verified", "reverted")
    assert restore.error == "the first window on the new route was not clean: feature_drift"
    state = route_of(store)
    assert (state.mode, state.revision) == (Route.FALLBACK, restored_revision + 1)

    for _ in range(3):  # quiet again on the fallback: the system tries once more
        feed.window(Route.FALLBACK)
    _, actions = incident_and_actions(store)
    assert [a.status for a in by_type(actions, ActionType.RESTORE)] == ["reverted", "applied"]


def test_a_window_still_on_the_old_revision_leaves_the_restore_waiting(
    store: Store, reference: Reference
) -> None:
    feed = Feed(store, reference)
    contained_and_quiet(feed)
    feed.window(Route.FALLBACK, revision=route_of(store).revision - 1)
    incident, actions = incident_and_actions(store)
    assert incident.status == "monitoring"
    assert [a.status for a in by_type(actions, ActionType.RESTORE)] == ["applied"]


def test_resolving_by_hand_under_containment_needs_a_restore_or_an_accepted_reason(
    store: Store, reference: Reference
) -> None:
    feed = Feed(store, reference)
    feed.window(Route.PRIMARY, drift=True)
    feed.window(Route.FALLBACK)
    for _ in range(2):  # stored, not yet responded to: no restore has started
        feed.window(Route.FALLBACK, respond=False)
    incident, _ = incident_and_actions(store)
    with pytest.raises(TransitionError, match="containment is still in force") as info:
        transition_incident(store, key=incident.key, event=IncidentEvent.RESOLVE, actor="person:a")
    assert info.value.guard == "containment_ended"
    with pytest.raises(TransitionError, match="only a person"):
        transition_incident(
            store,
            key=incident.key,
            event=IncidentEvent.RESOLVE,
            actor="system",
            accept_containment="x",
        )

    reason = "the rules serve well enough until v3"
    transition_incident(
        store,
        key=incident.key,
        event=IncidentEvent.RESOLVE,
        actor="person:ana",
        accept_containment=reason,
    )
    incident, actions = incident_and_actions(store)
    (fallback,) = by_type(actions, ActionType.ROUTE_FALLBACK)
    assert incident.status == "resolved"
    assert incident.resolution_reason == f"containment accepted as the new normal: {reason}"
    assert fallback.status == "verified"
    assert route_of(store).mode is Route.FALLBACK  # still degraded, by a person's choice
    with store.session() as session:
        events = list_timeline(session, incident_id=incident.id)
        audit = [e.action for e in list_audit(session)]
    (accepted,) = [e for e in events if e.kind == "containment_accepted"]
    assert (accepted.actor, accepted.details["reason"]) == ("person:ana", reason)
    assert accepted.details["actions"] == [{"id": fallback.id, "type": "route_fallback"}]
    assert "incident.accept_containment" in audit

    action_id = restore_incident(store, key=incident.key, actor="person:ana")
    with pytest.raises(RestoreError, match="already waiting"):
        restore_incident(store, key=incident.key, actor="person:ana")
    feed.window(Route.PRIMARY)
    _, actions = incident_and_actions(store)
    assert {a.id: a.status for a in actions} == {fallback.id: "reverted", action_id: "verified"}
    assert route_of(store).mode is Route.PRIMARY


def test_a_restore_is_not_an_action_anyone_applies_directly(store: Store) -> None:
    with pytest.raises(ActionError, match="incidents restore"):
        apply_action(store, model=MODEL, type=ActionType.RESTORE, trigger="person:ana")
    with store.session() as session:
        assert list_actions(session, model=MODEL) == []


def test_an_automatic_fallback_never_replaces_review_routing_a_person_set(
    store: Store, reference: Reference
) -> None:
    manual = apply_action(
        store,
        model=MODEL,
        type=ActionType.THRESHOLD_CHANGE,
        trigger="person:ana",
        params={"threshold": 0.8},
    )
    Feed(store, reference).window(Route.PRIMARY, drift=True)
    incident, actions = incident_and_actions(store)
    (refused,) = by_type(actions, ActionType.ROUTE_FALLBACK)
    assert refused.status == ActionStatus.FAILED.value
    assert refused.error is not None
    assert f"person:ana's threshold_change (action {manual.action_id}" in refused.error
    state = route_of(store)
    assert (state.mode, state.confidence_threshold) == (Route.PRIMARY, 0.8)
    with store.session() as session:
        kinds = [e.kind for e in list_timeline(session, incident_id=incident.id)]
    assert "action_refused" in kinds

    by_hand = apply_action(store, model=MODEL, type=ActionType.ROUTE_FALLBACK, trigger="person:bob")
    assert by_hand.status is ActionStatus.APPLIED  # a person may override a person
