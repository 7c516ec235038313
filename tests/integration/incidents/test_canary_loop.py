"""A bad version on a real store: canary failure → SEV1 declared → kill switch reaches the Guard →
canaries pass through the fallback → the next window verifies the kill switch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import ActionStatus, ActionType, Route
from redline.guard import Canary
from redline.guard.guard import GuardEngine as Guard
from redline.profiles.reference import Reference
from redline.store import Store, list_actions, list_incidents, list_timeline
from rltest.waiting import wait_for


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(37)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "region": rng.choice(["n", "s"], 20_000), "score": 2 * x},
        prediction="score",
        window_sizes=[300, 1_000, 10_000],
    )


class Scorer:
    """The primary; ``bad`` simulates a bad version going live (wrong scores)."""

    bad = False

    def __call__(self, row: dict[str, Any]) -> float:
        return 2 * float(row["x"]) + (5.0 if self.bad else 0.0)


def previous_version(row: dict[str, Any]) -> float:
    return round(2 * float(row["x"]), 6)


GOLDEN = Canary("golden-score", {"x": 1.25, "region": "n"}, 2.5, tolerance=1e-6, every_s=3600)


def traffic(guard: Guard, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for x, region in zip(rng.normal(0, 1, n), rng.choice(["n", "s"], n), strict=True):
        guard.predict({"x": float(x), "region": str(region)})


def test_bad_version_fails_the_canary_and_is_killed(
    migrated_url: str, reference: Reference
) -> None:
    scorer = Scorer()
    with redline.Guard(
        model="scorer",
        predict=scorer,
        fallback=previous_version,
        reference=reference,
        store=migrated_url,
        window_s=3600,
        route_poll_s=0.05,
        canaries=[GOLDEN],
    ) as guard:
        store = Store.from_url(migrated_url)
        try:
            traffic(guard, 500, seed=1)
            assert guard.run_canaries()[0].passed
            guard.flush()

            def incidents() -> list[Any]:
                with store.session() as session:
                    return list(list_incidents(session, model="scorer"))

            assert incidents() == []

            scorer.bad = True
            (failed,) = guard.run_canaries()
            assert (failed.passed, failed.route, failed.got) == (False, Route.PRIMARY, 7.5)
            wait_for(lambda: len(incidents()) == 1)  # the window closes early; no flush needed
            with store.session() as session:
                (incident,) = list_incidents(session, model="scorer")
                assert (incident.severity, incident.status) == ("SEV1", "declared")
                assert incident.category == "canary"
                (kill,) = [
                    a
                    for a in list_actions(session, incident_id=incident.id)
                    if a.type == ActionType.KILL_SWITCH.value
                ]
                assert kill.status == ActionStatus.APPLIED.value

            wait_for(lambda: guard.route.mode is Route.FALLBACK)
            wait_for(  # set_route ran the canaries again, now through the fallback
                lambda: any(r.route is Route.FALLBACK for r in list(guard.canary_results))
            )
            verification = [r for r in guard.canary_results if r.route is Route.FALLBACK]
            assert all(r.passed for r in verification)
            assert guard.run_canaries()[0].passed

            traffic(guard, 300, seed=2)  # served by the fallback
            guard.flush()
            with store.session() as session:
                (incident,) = list_incidents(session, model="scorer")
                assert incident.status == "monitoring"  # contained, then watched
                (kill,) = [
                    a
                    for a in list_actions(session, incident_id=incident.id)
                    if a.type == ActionType.KILL_SWITCH.value
                ]
                assert kill.status == ActionStatus.VERIFIED.value
                assert kill.verification is not None
                assert kill.verification["routes"]["fallback"] == 300
                events = list_timeline(session, incident_id=incident.id)
                kinds = [e.kind for e in events]
                assert kinds[0] == "opened"
                (signal,) = events[0].details["signals"]
                assert (signal["kind"], signal["column"]) == ("canary_failure", "golden-score")
                assert signal["evidence"]["got"] == 7.5
                assert signal["evidence"]["route"] == "primary"
                assert {"action_applied", "action_verified"} <= set(kinds)
        finally:
            store.dispose()
