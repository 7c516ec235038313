"""Shadow mode: the baseline serves, the suspect answers the same inputs off the request path."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import Route
from redline.guard.guard import GuardEngine as Guard
from redline.guard.shadow import agree
from redline.guard.sinks import MemorySink
from redline.profiles.reference import Reference


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(71)
    return redline.fit_reference({"x": rng.normal(size=2_000)}, window_sizes=[100])


def baseline(row: dict[str, Any]) -> int:
    return int(row["x"] > 0)


def suspect(row: dict[str, Any]) -> int:
    return int(row["x"] > 0.5)  # disagrees for x in (0, 0.5]


def boom(row: dict[str, Any]) -> int:
    raise RuntimeError("suspect crashed")


@pytest.mark.parametrize(
    ("served", "shadow", "same"),
    [
        (1, 1, True),
        (1, 0, False),
        (0.5, 0.5 + 1e-9, True),
        (0.5, 0.6, False),
        ("a", "a", True),
        (True, 1, False),
        (None, None, True),
    ],
)
def test_agreement_rule(served: Any, shadow: Any, same: bool) -> None:
    assert agree(served, shadow) is same


def test_the_suspect_runs_beside_the_baseline_and_is_compared(reference: Reference) -> None:
    xs = np.random.default_rng(72).normal(size=2_000)
    expected_agreement = float(np.mean((xs > 0) == (xs > 0.5)))
    versions = {"v1": baseline, "v2": suspect}
    with Guard(
        model="m",
        predict=suspect,
        model_version="v2",
        versions=versions,
        reference=reference,
        sink=MemorySink(),
        window_s=3600,
    ) as guard:
        guard.set_route(guard.route.with_changes(model_version="v1", shadow_version="v2"))
        decisions = [guard.predict({"x": float(x)}) for x in xs]
        guard.flush()
        sink = guard.sink
    assert isinstance(sink, MemorySink)
    assert {d.model_version for d in decisions} == {"v1"}
    assert [d.value for d in decisions] == [baseline({"x": x}) for x in xs]
    stats = sink.windows[0].shadow["v2"]
    assert stats["n"] == len(xs)
    assert stats["agreement"] == pytest.approx(expected_agreement)
    assert stats["errors"] == 0
    assert stats["latency_p50_ms"] is not None
    assert len(stats["disagreements"]) == 20


def test_a_crashing_suspect_never_reaches_the_caller(reference: Reference) -> None:
    with Guard(
        model="m",
        predict=baseline,
        model_version="v1",
        versions={"v9": boom},
        reference=reference,
        sink=MemorySink(),
        window_s=3600,
    ) as guard:
        guard.set_route(guard.route.with_changes(shadow_version="v9"))
        decisions = [guard.predict({"x": 1.0}) for _ in range(10)]
        guard.flush()
        sink = guard.sink
    assert all(d.route is Route.PRIMARY and d.value == 1 for d in decisions)
    assert isinstance(sink, MemorySink)
    assert sink.windows[0].shadow["v9"]["errors"] == 10


def test_shadow_stats_merge_across_windows(reference: Reference) -> None:
    with Guard(
        model="m",
        predict=baseline,
        model_version="v1",
        versions={"v2": suspect},
        reference=reference,
        sink=MemorySink(),
        window_s=3600,
    ) as guard:
        guard.set_route(guard.route.with_changes(shadow_version="v2"))
        for x in (1.0, 0.2, -1.0):
            guard.predict({"x": x})
        guard.flush()
        for x in (0.3, 2.0):
            guard.predict({"x": x})
        guard.flush()
        sink = guard.sink
    assert isinstance(sink, MemorySink)
    first, second = sink.windows
    merged = first.merge(second).shadow["v2"]
    assert (merged["n"], merged["agreed"]) == (5, 3)
    assert merged["agreement"] == pytest.approx(0.6)
