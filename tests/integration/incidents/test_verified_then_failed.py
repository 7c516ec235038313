"""A verified kill switch whose fallback later answers its golden input wrongly, in a Guard:
a drift signal leaves it verified; a canary failure on the fallback fails it and reopens."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import ActionStatus, ActionType, Route
from redline.guard import Canary
from redline.guard.guard import GuardEngine as Guard
from redline.profiles.reference import Reference
from redline.store import (
    ActionRow,
    IncidentRow,
    Store,
    list_actions,
    list_incidents,
    list_signals,
    list_timeline,
)
from rltest.waiting import wait_for


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(41)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "score": 2 * x}, prediction="score", window_sizes=[300, 1_000, 10_000]
    )


class Answer:
    """2x, or off by five once ``bad`` is set: a version going wrong while it serves."""

    def __init__(self) -> None:
        self.bad = False

    def __call__(self, row: dict[str, Any]) -> float:
        return round(2 * float(row["x"]), 6) + (5.0 if self.bad else 0.0)


GOLDEN = Canary("golden-score", {"x": 1.25}, 2.5, tolerance=1e-6, every_s=3600)


def traffic(guard: Guard, n: int, seed: int, shift: float = 0.0) -> None:
    for x in np.random.default_rng(seed).normal(shift, 1, n):
        guard.predict({"x": float(x)})


def state(store: Store) -> tuple[IncidentRow, ActionRow]:
    with store.session() as session:
        (incident,) = list_incidents(session, model="scorer")
        (kill,) = [
            a
            for a in list_actions(session, incident_id=incident.id)
            if a.type == ActionType.KILL_SWITCH.value
        ]
        return incident, kill


def test_a_verified_fallback_that_fails_its_canary_fails_the_kill_switch(
    migrated_url: str, reference: Reference
) -> None:
    primary, fallback = Answer(), Answer()
    with redline.Guard(
        model="scorer",
        predict=primary,
        fallback=fallback,
        reference=reference,
        store=migrated_url,
        window_s=3600,
        route_poll_s=0.05,
        canaries=[GOLDEN],
    ) as guard:
        store = Store.from_url(migrated_url)
        try:
            primary.bad = True
            assert not guard.run_canaries()[0].passed  # SEV1, kill switch to the fallback
            wait_for(lambda: guard.route.mode is Route.FALLBACK)
            wait_for(lambda: any(r.route is Route.FALLBACK for r in list(guard.canary_results)))
            traffic(guard, 300, seed=2)
            guard.flush()
            incident, kill = state(store)
            assert (incident.status, kill.status) == ("monitoring", ActionStatus.VERIFIED.value)
            before, after, verified = kill.before_state, kill.after_state, kill.verification

            traffic(guard, 300, seed=3, shift=3.0)  # drift while the fallback serves
            guard.flush()
            with store.session() as session:
                kinds = {s.kind for s in list_signals(session, model="scorer")}
            assert "feature_drift" in kinds
            incident, kill = state(store)
            assert (incident.status, kill.status) == ("monitoring", ActionStatus.VERIFIED.value)

            fallback.bad = True
            (failed,) = guard.run_canaries()
            assert (failed.passed, failed.route) == (False, Route.FALLBACK)
            wait_for(lambda: state(store)[1].status == ActionStatus.FAILED.value)
            incident, kill = state(store)
            assert (kill.before_state, kill.after_state) == (before, after)
            assert kill.verification is not None
            assert verified is not None
            assert kill.verification["window_id"] == verified["window_id"]
            assert kill.verification["failed"]["canaries"] == ["golden-score"]
            assert incident.status == "declared"  # no verified containment is left
            with store.session() as session:
                events = list_timeline(session, incident_id=incident.id)
            (failure,) = [e.details for e in events if e.kind == "verification_failed"]
            assert failure["canaries"] == ["golden-score"]
            assert (failure["route_revision"], failure["was"]) == (failed.revision, "verified")
            reopen = [e.details for e in events if e.kind == "status"][-1]
            assert (reopen["event"], reopen["from"], reopen["to"]) == (
                "reopen",
                "monitoring",
                "declared",
            )
        finally:
            store.dispose()
