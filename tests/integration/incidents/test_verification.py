"""Containment is only verified when the new route serves and its canaries pass on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import ActionStatus, ActionType, Route
from redline.guard import Canary
from redline.profiles.reference import Reference
from redline.services import apply_action
from redline.store import Store, get_action, list_audit
from rltest.waiting import wait_for


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(61)
    return redline.fit_reference({"x": rng.normal(size=5_000)}, window_sizes=[300, 1_000])


GOLDEN = Canary("golden", {"x": 1.0}, 2.0, tolerance=1e-9, every_s=3600)


@pytest.mark.parametrize(
    ("fallback", "expected"),
    [(lambda row: 2.0 * row["x"], ActionStatus.VERIFIED), (lambda row: -1.0, ActionStatus.FAILED)],
    ids=["fallback passes", "fallback fails"],
)
def test_a_kill_switch_is_judged_by_the_canaries_on_the_new_route(
    migrated_url: str, reference: Reference, fallback: Any, expected: ActionStatus
) -> None:
    with redline.Guard(
        model="m",
        predict=lambda row: 2.0 * row["x"],
        fallback=fallback,
        reference=reference,
        store=migrated_url,
        window_s=3600,
        route_poll_s=0.05,
        canaries=[GOLDEN],
    ) as guard:
        store = Store.from_url(migrated_url)
        try:
            result = apply_action(
                store,
                model="m",
                type=ActionType.KILL_SWITCH,
                trigger="person:ops",
                now=datetime.now(UTC),
            )
            wait_for(lambda: guard.route.mode is Route.FALLBACK)
            wait_for(lambda: any(r.revision >= 1 for r in guard.canary_results))
            for x in np.random.default_rng(1).normal(size=50):
                guard.predict({"x": float(x)})
            guard.flush()

            def judged() -> bool:
                with store.session() as session:
                    row = get_action(session, action_id=result.action_id)
                    return row is not None and row.status != ActionStatus.APPLIED.value

            wait_for(judged)
            with store.session() as session:
                row = get_action(session, action_id=result.action_id)
                assert row is not None
                assert row.status == expected.value
                if expected is ActionStatus.FAILED:
                    assert row.error == "canaries failed on the new route: golden"
                    assert "verification_failed" in [e.action for e in list_audit(session)]
        finally:
            store.dispose()
