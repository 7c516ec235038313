"""Canaries: matching rules, the live route, signals on failure, out of the traffic statistics."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import redline
from redline.domain import Level, Route
from redline.domain.route_rules import OutputPatch
from redline.guard import Canary, CanaryResult, MemorySink, check_canary
from redline.guard import GuardEngine as Guard
from redline.guard.sinks import ClosedWindow
from redline.profiles.reference import Reference
from rltest.waiting import wait_for

GOLDEN = {"x": 1.5}


@pytest.fixture(scope="module")
def reference() -> Reference:
    rng = np.random.default_rng(5)
    x = rng.normal(size=2_000)
    return redline.fit_reference({"x": x, "score": 2 * x}, prediction="score", window_sizes=[100])


@dataclass
class EventSink(MemorySink):
    """A MemorySink that says when a window arrives, so a test can wait without sleeping."""

    arrived: threading.Event = field(default_factory=threading.Event)

    def write(self, closed: ClosedWindow) -> None:
        super().write(closed)
        self.arrived.set()


class Model:
    """Doubles x; ``broken`` makes it answer wrongly, ``raising`` makes it raise."""

    def __init__(self) -> None:
        self.broken = False
        self.raising = False

    def __call__(self, row: dict[str, Any]) -> float:
        if self.raising:
            raise RuntimeError("weights missing")
        return -1.0 if self.broken else 2 * float(row["x"])


def golden(**kwargs: Any) -> Canary:
    kwargs.setdefault("every_s", 3600)
    return Canary(kwargs.pop("name", "double"), GOLDEN, kwargs.pop("expected", 3.0), **kwargs)


def make(reference: Reference, model: Model, *canaries: Canary, **kwargs: Any) -> Guard:
    kwargs.setdefault("sink", EventSink())
    return Guard(
        model="m",
        predict=model,
        reference=reference,
        window_s=3600,
        canaries=canaries or (golden(),),
        **kwargs,
    )


def sink_of(guard: Guard) -> EventSink:
    assert isinstance(guard.sink, EventSink)
    return guard.sink


@pytest.mark.parametrize(
    ("expected", "got", "tolerance", "passed"),
    [
        (3.0, 3.0, None, True),
        (3, 3.0, None, True),
        (3.0, 3.0000001, None, False),
        (3.0, 3.05, 0.1, True),
        (3.0, 3.2, 0.1, False),
        (3.0, np.float64(3.01), 0.1, True),
        (math.nan, math.nan, None, False),
        (math.nan, math.nan, 1.0, False),
        (3.0, math.nan, 1.0, False),
        (math.inf, math.inf, None, True),
        ("fraud", "fraud", 0.1, True),
        ("fraud", "Fraud", None, False),
        (True, 1, None, False),
        (1, True, 0.5, False),
        (False, False, None, True),
        ({"p": 0.5, "label": "a"}, {"p": 0.54, "label": "a"}, 0.05, True),
        ({"p": 0.5, "label": "a"}, {"p": 0.6, "label": "a"}, 0.05, False),
        ({"p": 0.5}, {"p": 0.5, "extra": 1}, None, False),
        ({"p": [0.1, 0.9]}, {"p": [0.1, math.nan]}, 1.0, False),
        ([0.2, 0.8], np.array([0.21, 0.79]), 0.02, True),
        ([0.2, 0.8], (0.2, 0.8), None, True),
        ([0.2, 0.8], [0.2], 1.0, False),
        ([0.2, 0.8], {"0": 0.2}, 1.0, False),
        (None, None, None, True),
        (None, 0.0, 1.0, False),
    ],
)
def test_check_canary_rules(expected: Any, got: Any, tolerance: float | None, passed: bool) -> None:
    canary = Canary("c", GOLDEN, expected, tolerance=tolerance)
    assert check_canary(canary, got) is passed


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": ""}, "needs a name"),
        ({"tolerance": -0.1}, "tolerance"),
        ({"tolerance": math.nan}, "tolerance"),
        ({"every_s": 0}, "every_s"),
    ],
)
def test_canary_settings_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        golden(**kwargs)


def test_canary_names_must_be_unique(reference: Reference) -> None:
    with pytest.raises(ValueError, match="unique"):
        make(reference, Model(), golden(), golden(expected=4.0))


def test_a_passing_canary_raises_nothing(reference: Reference) -> None:
    with make(reference, Model()) as guard:
        (result,) = guard.run_canaries()
        guard.flush()
        assert isinstance(result, CanaryResult)
        assert (result.name, result.passed, result.got, result.route) == (
            "double",
            True,
            3.0,
            Route.PRIMARY,
        )
        assert result.error is None
        assert list(guard.canary_results) == [result]
        assert sink_of(guard).signals == []
        assert sink_of(guard).windows == []  # canary traffic alone makes no window


def test_a_failing_canary_is_one_critical_signal_with_evidence(reference: Reference) -> None:
    model = Model()
    with make(reference, model, model_version="v7") as guard:
        assert guard.run_canaries()[0].passed
        model.broken = True
        (result,) = guard.run_canaries()
        assert not result.passed
        assert sink_of(guard).arrived.wait(10), "a failure closes the window without a flush"
        guard.flush()
        (signal,) = sink_of(guard).signals
    assert (signal.monitor, signal.kind, signal.column) == ("canary", "canary_failure", "double")
    assert (signal.statistic, signal.value, signal.threshold) == ("canary_mismatch", 1.0, 0.0)
    assert signal.level is Level.CRITICAL
    assert signal.model == "m"
    assert signal.window_end is not None
    assert signal.evidence["expected"] == 3.0
    assert signal.evidence["got"] == -1.0
    assert signal.evidence["error"] is None
    assert signal.evidence["route"] == "primary"
    assert (signal.evidence["model_version"], signal.evidence["revision"]) == ("v7", 0)
    assert (signal.evidence["passed"], signal.evidence["failed"]) == (1, 1)


def test_evidence_stays_json_safe(reference: Reference) -> None:
    with Guard(
        model="m",
        predict=lambda row: {"p": math.nan, "n": np.int64(2)},
        reference=reference,
        sink=MemorySink(),
        canaries=[Canary("shape", GOLDEN, {"p": 0.5, "n": 2}, tolerance=0.1)],
    ) as guard:
        guard.run_canaries()
        guard.flush()
        assert isinstance(guard.sink, MemorySink)
        (signal,) = guard.sink.signals
    assert signal.evidence["got"] == {"p": "nan", "n": 2}


def test_canary_traffic_stays_out_of_the_window(reference: Reference) -> None:
    model = Model()
    with make(reference, model) as guard:
        for x in (0.1, 0.2, 0.3):
            guard.predict({"x": x})
        guard.run_canaries()
        guard.run_canaries()
        guard.flush()
        model.broken = True
        guard.run_canaries()
        guard.flush()
        windows = sink_of(guard).windows
    assert sum(w.n_rows for w in windows) == 3
    assert sum(w.routes.get("primary", 0) for w in windows) == 3
    assert windows[-1].n_rows == 0  # the failure's window, sent for its signal alone


def test_canaries_follow_the_route(reference: Reference) -> None:
    with make(reference, Model(), fallback=lambda row: 3.0) as guard:
        guard.set_route(guard.route.with_changes(mode=Route.FALLBACK))
        (result,) = guard.run_canaries()
    assert (result.route, result.got, result.passed, result.revision) == (
        Route.FALLBACK,
        3.0,
        True,
        1,
    )


def test_a_wrong_fallback_fails_the_canary(reference: Reference) -> None:
    with make(reference, Model(), fallback=lambda row: 0.0) as guard:
        guard.set_route(guard.route.with_changes(mode=Route.FALLBACK))
        (result,) = guard.run_canaries()
    assert (result.route, result.got, result.passed) == (Route.FALLBACK, 0.0, False)


def test_blocks_patches_and_review_apply_to_canaries(reference: Reference) -> None:
    canaries = (golden(), golden(name="from-attacker", source="10.1.2.3"))
    with make(reference, Model(), *canaries, fallback=lambda row: 3.0) as guard:
        state = guard.route.with_changes(
            blocked_sources=("10.1.0.0/16",), output_patch=OutputPatch(score_offset=0.5)
        )
        guard.set_route(state)
        patched, blocked = guard.run_canaries()
    assert (patched.route, patched.got, patched.passed) == (Route.PRIMARY, 3.5, False)
    assert (blocked.route, blocked.got, blocked.passed) == (Route.BLOCK, None, False)
    assert blocked.error is not None
    assert "blocked" in blocked.error


def test_confidence_review_serves_canaries_the_fallback(reference: Reference) -> None:
    with make(reference, Model(), fallback=lambda row: 3.0, confidence=lambda v: 0.1) as guard:
        guard.set_route(guard.route.with_changes(confidence_threshold=0.5))
        (result,) = guard.run_canaries()
        assert len(guard.review_queue) == 0  # canaries never land in people's review queue
    assert (result.route, result.got, result.passed) == (Route.REVIEW, 3.0, True)


def test_a_raising_model_fails_the_canary(reference: Reference) -> None:
    model = Model()
    model.raising = True
    with make(reference, model) as guard:
        (result,) = guard.run_canaries()
        guard.flush()
        (signal,) = sink_of(guard).signals
    assert not result.passed
    assert result.route is None
    assert result.error == "RuntimeError: weights missing"
    assert signal.evidence["error"] == "RuntimeError: weights missing"


def test_a_raising_model_fails_even_when_the_fallback_answers_right(reference: Reference) -> None:
    model = Model()
    model.raising = True
    with make(reference, model, fallback=lambda row: 3.0) as guard:
        (result,) = guard.run_canaries()
    assert (result.route, result.got, result.passed) == (Route.FALLBACK, 3.0, False)
    assert result.error == "RuntimeError: weights missing"


def test_canaries_run_on_their_schedule_and_after_a_route_change(reference: Reference) -> None:
    often, rarely = golden(name="often", every_s=0.01), golden(name="rarely", every_s=3600)
    with make(reference, Model(), often, rarely, fallback=lambda row: 3.0) as guard:

        def runs(name: str) -> list[CanaryResult]:
            return [r for r in list(guard.canary_results) if r.name == name]

        wait_for(lambda: len(runs("often")) >= 3)
        assert runs("rarely") == []
        guard.set_route(guard.route.with_changes(mode=Route.FALLBACK))
        wait_for(lambda: len(runs("rarely")) == 1)
        (after_switch,) = runs("rarely")
        assert (after_switch.route, after_switch.revision, after_switch.passed) == (
            Route.FALLBACK,
            1,
            True,
        )
        assert all(r.passed for r in guard.canary_results)
    assert sink_of(guard).signals == []
