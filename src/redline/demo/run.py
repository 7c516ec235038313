"""The whole demo: set the world up, run the chosen scenarios in turn, report what was found."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from redline.demo.report import DemoOutcome, ScenarioOutcome
from redline.demo.runner import MAX_INJECTED, WARMUP, WINDOW_S, OnWindow, SimClock, run_scenario
from redline.demo.scenarios import SCENARIOS
from redline.demo.world import World, build_world
from redline.errors import RedlineError
from redline.services.registry import current_version, list_versions
from redline.services.store_access import open_store

__all__ = ["DemoError", "check_scenarios", "model_versions", "prepare", "run_demo"]

Step = Callable[[str], None]


class DemoError(RedlineError):
    """The demo cannot run as asked (unknown scenario, a store that already holds a demo)."""


def check_scenarios(names: Sequence[str]) -> list[str]:
    """The scenarios to run, in the demo's order; all of them when none are named."""
    unknown = sorted(set(names) - set(SCENARIOS))
    if unknown:
        raise DemoError(
            f"unknown scenario {', '.join(map(repr, unknown))}; choose from {', '.join(SCENARIOS)}"
        )
    return [name for name in SCENARIOS if not names or name in names]


def prepare(*, store_url: str | None, seed: int, step: Step) -> World:
    """Open an empty store (a new SQLite file in a temporary folder by default), then train."""
    workdir = Path(tempfile.mkdtemp(prefix="redline-demo-"))
    url = store_url or f"sqlite:///{workdir / 'redline.db'}"
    step(f"opening the store at {url}")
    store = open_store(url)
    try:
        taken = [s.model for s in SCENARIOS.values() if list_versions(store, s.model)]
        if taken:
            raise DemoError(
                f"the store at {url} already holds a demo run ({', '.join(taken)}); "
                "run the demo on a fresh store (leave out --store for a temporary one)"
            )
        return build_world(store=store, url=url, workdir=workdir, seed=seed, step=step)
    except BaseException:
        store.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
        raise


def model_versions(world: World, names: Sequence[str]) -> list[dict[str, Any]]:
    """Every version registered for the scenarios' models, and whether it serves now."""
    out = []
    for name in names:
        model = SCENARIOS[name].model
        serving = current_version(world.store, model)
        for v in list_versions(world.store, model):
            out.append(
                {
                    "model": model,
                    "version": v.version,
                    "sha256": v.sha256,
                    "artifact": v.artifact_uri,
                    "serving": v.version == serving,
                }
            )
    return out


def run_demo(
    world: World,
    names: Sequence[str],
    *,
    on_window: OnWindow,
    on_scenario: Callable[[ScenarioOutcome], None] | None = None,
    speed: float | None = None,
    setup_s: float = 0.0,
) -> DemoOutcome:
    """Run ``names`` one after another on one simulated clock that ends about now."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # with sklearn

    began = time.perf_counter()
    span = timedelta(seconds=WINDOW_S * (WARMUP + MAX_INJECTED) * len(names))
    start = (datetime.now(UTC) - span).replace(second=0, microsecond=0)
    clock = SimClock(start)
    paced = _paced(on_window, speed)
    outcomes = []
    # One row at a time, OpenMP threads only add hand-offs; on a busy machine they stall.
    with threadpool_limits(limits=1):
        for index, name in enumerate(names):
            outcome = run_scenario(world, SCENARIOS[name], clock, index=index, on_window=paced)
            outcomes.append(outcome)
            if on_scenario is not None:
                on_scenario(outcome)
    return DemoOutcome(
        scenarios=tuple(outcomes),
        store=world.store.engine.url.render_as_string(hide_password=True),
        model_versions=tuple(model_versions(world, names)),
        seconds=setup_s + time.perf_counter() - began,
        timings={"setup": setup_s, "scenarios": time.perf_counter() - began},
    )


def _paced(on_window: OnWindow, speed: float | None) -> OnWindow:
    """``on_window``, holding each window to WINDOW_S / speed wall seconds when a speed is set."""
    if not speed:
        return on_window
    last = [time.monotonic()]

    def paced(note: Any) -> None:
        on_window(note)
        wait = WINDOW_S / speed - (time.monotonic() - last[0])
        if wait > 0:
            time.sleep(wait)
        last[0] = time.monotonic()

    return paced
