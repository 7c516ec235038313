"""Run one scenario through a real Guard on a simulated clock and read its incident back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

from redline.demo.forensics import collect_forensics, read_review_queue
from redline.demo.model import SlowModel, confidence_of
from redline.demo.report import NOT_DETECTED, ActionOutcome, ScenarioOutcome
from redline.demo.scenarios import Request, Scenario
from redline.demo.world import World, register_model
from redline.domain import ActionStatus, Decision
from redline.guard.guard import GuardEngine as BaseGuard
from redline.services.embedded import Guard
from redline.services.registry import deploy, load_version
from redline.services.views import (
    get_incident_view,
    get_route_view,
    list_action_views,
    list_incident_views,
)

__all__ = ["MAX_INJECTED", "WARMUP", "WINDOW_S", "SimClock", "WindowNote", "run_scenario"]

#: Simulated seconds per window; the Guard's own wall-clock window never closes first.
WINDOW_S = 60.0
#: Normal windows before the injection: baselines for source shares and latency settle.
WARMUP = 3
#: Injected windows at most; a scenario stops earlier once its incident is settled.
MAX_INJECTED = 6
_WAIT_S = 10.0


class SimClock:
    """A clock the demo moves forward by whole windows, so a minute takes milliseconds."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The simulated time."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the simulated time forward."""
        with self._lock:
            self._now += timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class WindowNote:
    """Progress after one closed window."""

    scenario: str
    window: int
    total: int
    injected: bool
    incident: str | None


OnWindow = Callable[[WindowNote], None]


def _wait(check: Callable[[], bool], timeout_s: float = _WAIT_S) -> bool:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _guard(world: World, scenario: Scenario, clock: SimClock, slow: SlowModel | None) -> BaseGuard:
    store, model = world.store, scenario.model
    return Guard(
        model=model,
        predict=slow,
        model_version="v1",
        fallback=load_version(store, model=model, version="rules", trust=True),
        reference=world.reference,
        store=store,
        playbook=world.playbook,
        trust_artifacts=True,  # the demo trained and saved these artifacts itself
        window_s=86_400.0,  # windows close on the simulated clock (flush), never on wall time
        route_poll_s=0.05,
        canaries=world.canaries if scenario.name == "bad_version" else (),
        confidence=confidence_of,  # a confidence threshold holds unsure answers for review
        clock=clock.now,
    )


def _inject(
    world: World, scenario: Scenario, guard: BaseGuard, slow: SlowModel | None, clock: SimClock
) -> None:
    """Changes that are not in the traffic: the model slows down, or v2 is deployed."""
    if slow is not None:
        slow.slow = True
    if scenario.name == "bad_version":
        clock.advance(1.0)  # the release goes out a second into the window
        deploy(
            world.store,
            model=scenario.model,
            version="v2",
            actor="person:demo",
            reason="v2",
            now=clock.now(),
        )
        _wait(lambda: guard.route.model_version == "v2")
        _wait(lambda: any(r.model_version == "v2" for r in list(guard.canary_results)))


def _follow_route(world: World, model: str, guard: BaseGuard) -> None:
    """Wait until the Guard serves the route the store holds (a real minute is ample for it)."""
    revision = get_route_view(world.store, model=model).revision
    _wait(lambda: guard.route.revision >= revision)


def _incident_since(world: World, model: str, since: datetime) -> str | None:
    """The newest incident of ``model`` with a signal after ``since``, if any."""
    for summary in list_incident_views(world.store, model=model):
        detail = get_incident_view(world.store, key=summary.key)
        if detail.last_signal_at is not None and detail.last_signal_at > since:
            return summary.key
    return None


def _pending(world: World, key: str) -> bool:
    waiting = {ActionStatus.REQUESTED, ActionStatus.APPLIED}
    return any(a.status in waiting for a in list_action_views(world.store, incident_key=key))


def _serve(guard: BaseGuard, window: list[Request]) -> list[tuple[Decision, Request]]:
    return [(guard.predict(r.row, source=r.source), r) for r in window]


def run_scenario(
    world: World, scenario: Scenario, clock: SimClock, *, index: int, on_window: OnWindow
) -> ScenarioOutcome:
    """Warm up, inject, and run until the incident is settled (or MAX_INJECTED windows pass)."""
    started = time.perf_counter()
    model = scenario.model
    versions = ("v1", "v2") if scenario.name == "bad_version" else ("v1",)
    register_model(world, model, versions, now=clock.now())
    rng = np.random.default_rng([world.seed, index])
    slow = None
    if scenario.name == "latency_spike":
        v1 = load_version(world.store, model=model, version="v1", trust=True)
        slow = SlowModel(v1, share=0.1, delay_s=0.15, seed=world.seed)
    total = WARMUP + MAX_INJECTED
    key: str | None = None
    detected: int | None = None
    since = clock.now()
    warmup_incidents = 0
    labels: list[tuple[str, int]] = []
    windows = 0
    with _guard(world, scenario, clock, slow) as guard:
        for number in range(1, total + 1):
            injected = number > WARMUP
            if number == WARMUP + 1:
                since = clock.now()
                warmup_incidents = len(list_incident_views(world.store, model=model))
                _inject(world, scenario, guard, slow, clock)
            served = _serve(guard, scenario.window(rng, world.traffic, injected=injected))
            for request_id, label in labels:  # the truth about the previous window arrives
                guard.feedback(request_id, label)
            labels = [(d.request_id, r.label) for d, r in served] if scenario.labels else []
            clock.advance(WINDOW_S)
            guard.flush()
            windows = number
            _follow_route(world, model, guard)
            if injected and key is None:
                key = _incident_since(world, model, since)
                detected = number - WARMUP if key is not None else None
            on_window(WindowNote(scenario.name, number, total, injected, key))
            done = number - WARMUP >= scenario.min_windows
            if key is not None and done and not _pending(world, key):
                break
    return _outcome(world, scenario, key, detected, windows, warmup_incidents, started, clock)


def _outcome(
    world: World,
    scenario: Scenario,
    key: str | None,
    detected: int | None,
    windows: int,
    warmup_incidents: int,
    started: float,
    clock: SimClock,
) -> ScenarioOutcome:
    """The scenario's incident as the store holds it now, or "not detected"."""
    outcome = ScenarioOutcome(
        name=scenario.name,
        model=scenario.model,
        expected=scenario.expected,
        incident=None,
        severity=None,
        detected_after_windows=None,
        actions=(),
        status=NOT_DETECTED,
        windows=windows,
        warmup_incidents=warmup_incidents,
        seconds=time.perf_counter() - started,
        review=read_review_queue(world.store, model=scenario.model),
    )
    if key is None:
        return outcome
    detail = get_incident_view(world.store, key=key)
    return replace(
        outcome,
        incident=key,
        severity=detail.incident.severity.value,
        detected_after_windows=detected,
        actions=tuple(ActionOutcome(a.type.value, a.status.value) for a in detail.actions),
        status=detail.incident.status.value,
        signals=tuple(sorted({s.kind for s in detail.signals})),
        forensics=collect_forensics(
            world.store, model=scenario.model, key=key, cause=scenario.cause, now=clock.now()
        ),
    )
