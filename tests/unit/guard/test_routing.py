"""The Guard obeys its RouteState: kill switch, versions, blocks, filters, review, patches."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import Route, RouteState
from redline.domain.route_rules import InputFilter, OutputPatch
from redline.guard.guard import GuardEngine as Guard
from redline.guard.plan import VersionMissingError
from redline.guard.sinks import MemorySink
from redline.profiles.reference import Reference

ROW = {"x": 0.5}


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(21)
    return redline.fit_reference({"x": rng.normal(size=2_000)}, window_sizes=[100])


def guard_for(reference: Reference, **kwargs: Any) -> Guard:
    kwargs.setdefault("predict", lambda row: 0.9)
    return Guard(model="m", reference=reference, sink=MemorySink(), window_s=3600, **kwargs)


def next_state(guard: Guard, **changes: Any) -> RouteState:
    return guard.route.with_changes(**changes)


def test_kill_switch_serves_the_fallback(reference: Reference) -> None:
    with guard_for(reference, fallback=lambda row: 0.1) as guard:
        guard.set_route(next_state(guard, mode=Route.FALLBACK))
        decision = guard.predict(ROW)
    assert (decision.value, decision.route) == (0.1, Route.FALLBACK)


def test_kill_switch_without_fallback_refuses_clearly(reference: Reference) -> None:
    with guard_for(reference) as guard:
        guard.set_route(next_state(guard, mode=Route.FALLBACK))
        decision = guard.predict(ROW)
    assert decision.route is Route.BLOCK
    assert decision.value is None
    assert decision.error is not None
    assert "no fallback" in decision.error


def test_kill_switch_with_a_safe_response(reference: Reference) -> None:
    with guard_for(reference, safe_response={"status": "manual"}) as guard:
        guard.set_route(next_state(guard, mode=Route.FALLBACK))
        assert guard.predict(ROW).value == {"status": "manual"}


def test_blocked_sources_by_prefix_and_by_name(reference: Reference) -> None:
    with guard_for(reference) as guard:
        guard.set_route(next_state(guard, blocked_sources=("10.1.2.0/24", "tenant-evil")))
        assert guard.predict(ROW, source="10.1.2.77").route is Route.BLOCK
        assert guard.predict(ROW, source="10.1.2.0/24").route is Route.BLOCK
        assert guard.predict(ROW, source="tenant-evil").route is Route.BLOCK
        assert guard.predict(ROW, source="10.1.3.1").route is Route.PRIMARY
        assert guard.predict(ROW).route is Route.PRIMARY
        guard.flush()
        assert isinstance(guard.sink, MemorySink)
        assert guard.sink.windows[0].routes == {"block": 3, "primary": 2}


@pytest.mark.parametrize(
    ("action", "route", "value"),
    [
        ("block", Route.BLOCK, None),
        ("fallback", Route.FALLBACK, 0.1),
        ("review", Route.REVIEW, 0.1),
    ],
)
def test_input_filters(reference: Reference, action: str, route: Route, value: Any) -> None:
    rule = InputFilter(field="x", op="gt", value=10, action=action)  # type: ignore[arg-type]
    with guard_for(reference, fallback=lambda row: 0.1) as guard:
        guard.set_route(next_state(guard, input_filters=(rule,)))
        hit = guard.predict({"x": 11})
        miss = guard.predict({"x": 1})
    assert (hit.route, hit.value) == (route, value)
    assert (miss.route, miss.value) == (Route.PRIMARY, 0.9)


@pytest.mark.parametrize(("mode", "value"), [("fallback", 0.1), ("pending", None)])
def test_low_confidence_goes_to_review(reference: Reference, mode: str, value: Any) -> None:
    with guard_for(reference, fallback=lambda row: 0.1, confidence=lambda v: v) as guard:
        guard.set_route(next_state(guard, confidence_threshold=0.95, review_mode=mode))
        decision = guard.predict(ROW)
        assert (decision.route, decision.value) == (Route.REVIEW, value)
        held = guard.review_queue[-1]
        assert (held["output"], held["request_id"], held["reason"]) == (
            0.9,
            decision.request_id,
            "low confidence",
        )
        assert (held["confidence"], held["threshold"]) == (0.9, 0.95)
        guard.set_route(next_state(guard, confidence_threshold=0.5))
        assert guard.predict(ROW).route is Route.PRIMARY


def test_output_patch_shifts_scores_and_renames_classes(reference: Reference) -> None:
    with guard_for(reference) as guard:
        guard.set_route(next_state(guard, output_patch=OutputPatch(score_offset=-0.4)))
        assert guard.predict(ROW).value == pytest.approx(0.5)
    with guard_for(reference, predict=lambda row: "fraud") as guard:
        guard.set_route(
            next_state(guard, output_patch=OutputPatch(class_remap={"fraud": "review"}))
        )
        assert guard.predict(ROW).value == "review"


def test_switching_versions_loads_before_the_switch(reference: Reference) -> None:
    loaded: list[str] = []

    def loader(version: str) -> Any:
        loaded.append(version)
        return lambda row: f"served by {version}"

    with guard_for(reference, model_version="v3", loader=loader) as guard:
        assert guard.predict(ROW).model_version == "v3"
        guard.set_route(next_state(guard, model_version="v2"))
        decision = guard.predict(ROW)
    assert loaded == ["v2"]
    assert (decision.value, decision.model_version) == ("served by v2", "v2")


def test_an_unknown_version_leaves_the_route_unchanged(reference: Reference) -> None:
    with guard_for(reference, model_version="v3") as guard:
        before = guard.route
        with pytest.raises(VersionMissingError, match="v9"):
            guard.set_route(next_state(guard, model_version="v9"))
        assert guard.route == before
        assert guard.predict(ROW).value == 0.9


def test_a_stale_revision_is_ignored(reference: Reference) -> None:
    with guard_for(reference, fallback=lambda row: 0.1) as guard:
        newer = next_state(guard, mode=Route.FALLBACK)
        guard.set_route(newer)
        guard.set_route(RouteState(model="m", revision=newer.revision))
        assert guard.route == newer


def test_the_route_source_is_polled_off_the_request_path(reference: Reference) -> None:
    published: list[RouteState] = []

    def source() -> RouteState | None:
        return published[-1] if published else None

    with guard_for(
        reference, fallback=lambda row: 0.1, route_source=source, route_poll_s=3600
    ) as guard:
        assert guard._watcher is not None
        published.append(RouteState(model="m", mode=Route.FALLBACK, revision=1))
        assert guard._watcher.check_once()
        assert guard.predict(ROW).route is Route.FALLBACK
        assert not guard._watcher.check_once()  # same revision: nothing to do


def test_a_failing_route_source_keeps_the_last_state(reference: Reference) -> None:
    def source() -> RouteState | None:
        raise ConnectionError("store down")

    with guard_for(reference, route_source=source, route_poll_s=3600) as guard:
        assert guard._watcher is not None
        assert not guard._watcher.check_once()
        assert guard._watcher.failures >= 1
        assert guard.predict(ROW).route is Route.PRIMARY


def test_reviews_and_served_rows_reach_the_sink(reference: Reference) -> None:
    rule = InputFilter(field="x", op="gt", value=10, action="review")
    with guard_for(reference, fallback=lambda row: 0.1, record_served=True) as guard:
        guard.set_route(next_state(guard, input_filters=(rule,)))
        held = guard.predict({"x": 11})
        served = guard.predict({"x": 1})
        guard.flush()
        sink = guard.sink
    assert isinstance(sink, MemorySink)
    assert [(r["request_id"], r["reason"], r["output"]) for r in sink.reviews] == [
        (held.request_id, "input filter", 0.9)
    ]
    assert sink.served == [(held.request_id, 0.1, "review"), (served.request_id, 0.9, "primary")]
    assert len(guard.review_queue) == 0
