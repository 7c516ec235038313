"""A shadow action on a real store: the baseline serves, the suspect answers beside it, and the
action is verified only once the suspect has answered in a window."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import ActionStatus, ActionType
from redline.profiles.reference import Reference
from redline.services import apply_action, list_window_profiles
from redline.store import Store, get_action


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(81)
    return redline.fit_reference({"x": rng.normal(size=5_000)}, window_sizes=[300])


def v1(row: dict[str, Any]) -> int:
    return int(row["x"] > 0)


def v2(row: dict[str, Any]) -> int:
    return int(row["x"] > 1)


def test_shadow_serves_the_baseline_and_compares_the_suspect(
    migrated_url: str, reference: Reference
) -> None:
    with redline.Guard(
        model="m",
        predict=v2,
        model_version="v2",
        versions={"v1": v1, "v2": v2},
        reference=reference,
        store=migrated_url,
        window_s=3600,
        route_poll_s=0.05,
    ) as guard:
        store = Store.from_url(migrated_url)
        try:
            result = apply_action(
                store,
                model="m",
                type=ActionType.SHADOW,
                trigger="person:ops",
                params={"baseline": "v1", "version": "v2"},
                now=datetime.now(UTC),
            )
            assert result.status is ActionStatus.APPLIED
            deadline = time.monotonic() + 5
            while guard.route.shadow_version != "v2" and time.monotonic() < deadline:
                time.sleep(0.02)
            assert (guard.route.model_version, guard.route.shadow_version) == ("v1", "v2")
            xs = np.random.default_rng(82).normal(size=400)
            assert all(guard.predict({"x": float(x)}).value == v1({"x": x}) for x in xs)
            guard.flush()
            with store.session() as session:
                row = get_action(session, action_id=result.action_id)
                assert row is not None
                assert row.status == ActionStatus.VERIFIED.value
            (window,) = list_window_profiles(store, model="m")
            stats = window.shadow["v2"]
            assert stats["n"] == 400
            assert stats["agreement"] == pytest.approx(float(np.mean((xs > 0) == (xs > 1))))
        finally:
            store.dispose()


def test_shadow_without_a_baseline_fails_clearly(migrated_url: str) -> None:
    store = Store.from_url(migrated_url)
    try:
        result = apply_action(store, model="m", type=ActionType.SHADOW, trigger="person:ops")
        assert result.status is ActionStatus.FAILED
        assert result.error is not None
        assert "baseline" in result.error
    finally:
        store.dispose()
