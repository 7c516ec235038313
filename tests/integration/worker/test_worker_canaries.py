"""Canaries run by the worker on the registry's versions: schedule, route changes, incidents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from canary_support import (
    credit_canaries,
    paging_plan,
    recording_notifier,
    register_credit,
    service_canaries,
)
from worker_support import START, run_threads

from redline.profiles.window import WindowProfile
from redline.services.canary_runs import RUN_LEASE
from redline.services.ingest import respond_to_window_in
from redline.services.registry import deploy
from redline.services.routes import current_route
from redline.store import (
    Store,
    list_actions,
    list_incidents,
    list_notifications,
    list_signals,
    list_snapshots,
    list_timeline,
    release_lease,
    try_lease,
)
from redline.worker import Worker

BOTH = ["credit/golden-low", "credit/golden-high"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def store(migrated_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = Store.from_url(migrated_url)
    register_credit(opened, tmp_path)
    yield opened
    opened.dispose()


def _worker(store: Store, tmp_path: Path, clock: Clock, *, fallback: str = "rules") -> Worker:
    canaries = service_canaries(store, credit_canaries(tmp_path, fallback=fallback))
    sent: list[str] = []
    notifier = recording_notifier(sent)
    return Worker(store, plan=paging_plan(), notifier=notifier, canaries=canaries, clock=clock)


def test_passing_canaries_run_on_schedule_and_store_nothing(store: Store, tmp_path: Path) -> None:
    clock = Clock(START)
    worker = _worker(store, tmp_path, clock)
    first = worker.tick()
    assert (first.canaries_run, first.canaries_failed, first.errors) == (BOTH, [], [])
    assert worker.tick().canaries_run == []  # not due yet, and the route did not change
    clock.at += timedelta(seconds=61)
    assert worker.tick().canaries_run == BOTH
    with store.session() as session:
        assert list_signals(session, model="credit") == []
        assert list_incidents(session, model="credit") == []


def test_a_deployed_bad_version_fails_its_canaries_and_opens_a_sev1(
    store: Store, tmp_path: Path
) -> None:
    clock = Clock(START)
    worker = _worker(store, tmp_path, clock)
    assert worker.tick().canaries_failed == []
    deploy(store, model="credit", version="v2", actor="ci", reason="new release", now=START)
    clock.at += timedelta(seconds=5)  # long before the canaries are due: the deployment counts
    summary = worker.tick()
    assert (summary.canaries_failed, summary.errors) == (BOTH, [])
    assert summary.notifications_sent == 1
    with store.session() as session:
        signals = list_signals(session, model="credit")
        (incident,) = list_incidents(session, model="credit")
        actions = [(a.type, a.status) for a in list_actions(session, incident_id=incident.id)]
        snapshots = list_snapshots(session, incident_id=incident.id)
        notes = list_notifications(session, incident_id=incident.id)
        route = current_route(session, model="credit")
    assert sorted(s.column or "" for s in signals) == ["golden-high", "golden-low"]
    assert {(s.kind, s.level, s.evidence["model_version"]) for s in signals} == {
        ("canary_failure", "critical", "v2")
    }
    assert (incident.severity, incident.status) == ("SEV1", "declared")
    assert actions == [("kill_switch", "applied")]
    assert len(snapshots) == 1
    assert [(n.channel, n.event, n.status) for n in notes] == [("ops", "trigger", "sent")]
    assert route.mode == "fallback"


def test_the_canaries_run_again_on_the_route_the_kill_switch_made(
    store: Store, tmp_path: Path
) -> None:
    clock = Clock(START)
    worker = _worker(store, tmp_path, clock)
    worker.tick()
    deploy(store, model="credit", version="v2", actor="ci", reason="new release", now=START)
    assert worker.tick().canaries_failed == BOTH  # and the kill switch made a new revision
    again = worker.tick()
    assert (again.canaries_run, again.canaries_failed) == (BOTH, [])  # the fallback passes
    with store.session() as session:
        (action,) = list_actions(session, model="credit")
    assert action.status == "applied"  # nothing failed on its route; a window will verify it,
    # and a verified action can still fail later on its route (next test)


def _serve_a_fallback_window(store: Store, at: datetime) -> None:
    """A window served by the fallback under the current revision, as a Guard would send."""
    with store.session() as session:
        revision = current_route(session, model="credit").revision
        window = WindowProfile("", {}, start=at, end=at, window_id="served-by-fallback")
        window.routes, window.route_revision = {"fallback": 200}, revision
        respond_to_window_in(
            session, model="credit", window=window, rows=[], now=at, plan=paging_plan()
        )


def test_a_verified_kill_switch_whose_fallback_later_fails_is_failed_and_reopened(
    store: Store, tmp_path: Path
) -> None:
    clock = Clock(START)
    worker = _worker(store, tmp_path, clock)
    worker.tick()
    deploy(store, model="credit", version="v2", actor="ci", reason="new release", now=START)
    worker.tick()  # SEV1 declared, kill switch applied
    assert worker.tick().canaries_failed == []  # the fallback passes on the new revision
    _serve_a_fallback_window(store, clock.at)
    with store.session() as session:
        (incident,) = list_incidents(session, model="credit")
        (action,) = list_actions(session, incident_id=incident.id)
        revision = current_route(session, model="credit").revision
        before, after = action.before_state, action.after_state
    assert (incident.status, action.status) == ("monitoring", "verified")

    clock.at += timedelta(seconds=61)  # the canaries are due again; the fallback now answers 0
    later = _worker(store, tmp_path, clock, fallback="broken")
    assert later.tick().canaries_failed == BOTH
    with store.session() as session:
        (incident,) = list_incidents(session, model="credit")
        (action,) = list_actions(session, incident_id=incident.id)
        events = list_timeline(session, incident_id=incident.id)
    assert (action.status, action.before_state, action.after_state) == ("failed", before, after)
    assert action.verification is not None
    assert action.verification["window_id"] == "served-by-fallback"  # what verified it stays
    assert action.verification["failed"]["canaries"] == ["golden-high", "golden-low"]
    (failure,) = [e.details for e in events if e.kind == "verification_failed"]
    assert (failure["canaries"], failure["route_revision"]) == (
        ["golden-high", "golden-low"],
        revision,
    )
    assert (failure["action_id"], failure["was"]) == (action.id, "verified")
    # Nothing contains the incident any more: it goes back to declared, on the timeline.
    assert incident.status == "declared"
    status = [e.details for e in events if e.kind == "status"][-1]
    assert (status["event"], status["from"], status["to"]) == ("reopen", "monitoring", "declared")


def test_an_action_whose_route_fails_its_canaries_is_marked_failed(
    store: Store, tmp_path: Path
) -> None:
    clock = Clock(START)
    worker = _worker(store, tmp_path, clock, fallback="broken")
    worker.tick()
    deploy(store, model="credit", version="v2", actor="ci", reason="new release", now=START)
    worker.tick()
    again = worker.tick()
    assert again.canaries_failed == BOTH  # the fallback the kill switch serves is wrong too
    with store.session() as session:
        (incident,) = list_incidents(session, model="credit")
        (action,) = list_actions(session, incident_id=incident.id)
        events = [e.kind for e in list_timeline(session, incident_id=incident.id)]
    assert (action.type, action.status) == ("kill_switch", "failed")
    assert "canaries failed on the new route" in (action.error or "")
    assert events.count("verification_failed") == 1


def test_two_workers_run_a_models_canaries_once_per_tick(
    store: Store, tmp_path: Path, migrated_url: str
) -> None:
    others = [Store.from_url(migrated_url) for _ in range(2)]
    clock = Clock(START)
    workers = [_worker(other, tmp_path, clock) for other in others]
    summaries = []
    try:
        run_threads([lambda w=w: summaries.append(w.tick()) for w in workers])
    finally:
        for other in others:
            other.dispose()
    assert sorted(name for s in summaries for name in s.canaries_run) == sorted(BOTH)
    assert [s.errors for s in summaries] == [[], []]


def test_a_model_whose_canaries_are_leased_elsewhere_waits(store: Store, tmp_path: Path) -> None:
    clock = Clock(START)
    worker = _worker(store, tmp_path, clock)
    with store.session() as session:  # another worker is running credit's canaries
        assert try_lease(session, name="canaries:credit", now=START, until=START + RUN_LEASE)
    assert worker.tick().canaries_run == []
    with store.session() as session:
        release_lease(session, name="canaries:credit")
    assert worker.tick().canaries_run == BOTH


def test_pickled_versions_need_trust_before_their_canaries_run(
    store: Store, tmp_path: Path
) -> None:
    canaries = service_canaries(store, credit_canaries(tmp_path), trust=False)
    (run,) = canaries.run_due(now=START)
    assert (run.ran, run.failed) == ((), ())
    assert "pickle" in str(run.skipped)
    assert canaries.run_due(now=START) == []  # skipped once per revision, not on every tick
    with store.session() as session:
        assert list_signals(session, model="credit") == []
    (trusted,) = service_canaries(store, credit_canaries(tmp_path)).run_due(now=START)
    assert trusted.ran == ("golden-low", "golden-high")  # a worker that may load them runs them
