"""A remote Guard process for the fault tests: serves traffic and reports on stdout.

``python guard_main.py <server> <token> <spool_dir> <reference> [--window-s S]``

Traffic: one prediction every ~2 ms with ``x ~ N(shift, 1)``; every tenth one gets a label.
Commands on stdin: ``shift <sd>`` (the data fault), ``stop`` (``guard.close()``, timed).
Lines on stdout: ``ready``; ``window <id>`` once a closed window is in the spool, ``refused
<id>`` when the spool refused it; ``route <revision> <mode>`` when the route changes;
``stats <predictions> <errors> <max_ms> <slow>`` (slow: predictions over 50 ms) after each
window; ``closed <seconds>`` after ``stop``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

import redline
from redline.domain import RouteState
from redline.guard.control import Predict, RemoteControlPlane
from redline.guard.sinks import ClosedWindow

MODEL = "credit"
SLOW_MS = 50.0


def say(*words: object) -> None:
    """One line on stdout, flushed (a SIGKILL must not swallow it)."""
    sys.stdout.write(" ".join(map(str, words)) + "\n")
    sys.stdout.flush()


class Counters:
    """What the request path saw."""

    def __init__(self) -> None:
        self.predictions = self.errors = self.slow = 0
        self.max_ms = 0.0

    def line(self) -> tuple[object, ...]:
        return ("stats", self.predictions, self.errors, f"{self.max_ms:.1f}", self.slow)


class RecordingPlane:
    """The remote control plane, reporting each window it was handed."""

    def __init__(self, plane: RemoteControlPlane, counters: Counters) -> None:
        self.plane, self.counters = plane, counters

    def write(self, closed: ClosedWindow) -> None:
        refused = self.plane.sink.refused
        self.plane.write(closed)
        verdict = "refused" if self.plane.sink.refused > refused else "window"
        say(verdict, closed.window.window_id)
        say(*self.counters.line())

    def route(self) -> RouteState | None:
        return self.plane.route()

    def load(self, version: str) -> Predict:
        return self.plane.load(version)

    def settle(self, timeout_s: float) -> bool:
        return self.plane.settle(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        self.plane.close(timeout_s)


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("server", "token", "spool_dir", "reference"):
        parser.add_argument(name)
    parser.add_argument("--window-s", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    counters = Counters()
    plane = RemoteControlPlane(
        args.server,
        token=args.token,
        model=MODEL,
        spool_path=Path(args.spool_dir) / f"{MODEL}.http.spool",
    )
    guard = redline.Guard(
        model=MODEL,
        predict=lambda row: 2 * float(row["x"]),
        fallback=lambda row: 0.0,
        reference=args.reference,
        control=RecordingPlane(plane, counters),
        window_s=args.window_s,
        route_poll_s=0.05,
    )
    shift = [0.0]
    stop = threading.Event()

    def read_commands() -> None:
        for line in sys.stdin:
            words = line.split()
            if words[:1] == ["shift"]:
                shift[0] = float(words[1])
            elif words[:1] == ["stop"]:
                break
        stop.set()

    threading.Thread(target=read_commands, daemon=True).start()
    say("ready")
    serve(guard, counters, shift, stop)
    started = time.monotonic()
    guard.close()
    say("closed", f"{time.monotonic() - started:.2f}")


def serve(guard: Any, counters: Counters, shift: list[float], stop: threading.Event) -> None:
    """Predict until told to stop, timing each call; report route changes."""
    rng = np.random.default_rng()
    revision = -1
    while not stop.is_set():
        x = float(rng.normal(shift[0], 1.0))
        row = {"x": x, "region": str(rng.choice(["n", "s"]))}
        started = time.perf_counter()
        try:
            decision = guard.predict(row)
            if counters.predictions % 10 == 0:
                guard.feedback(decision.request_id, 2 * x)
        except Exception as exc:  # the contract says this never happens: count it
            counters.errors += 1
            say("error", repr(exc))
        spent_ms = (time.perf_counter() - started) * 1000.0
        counters.predictions += 1
        counters.max_ms = max(counters.max_ms, spent_ms)
        counters.slow += spent_ms > SLOW_MS
        if guard.route.revision != revision:
            revision = guard.route.revision
            say("route", revision, guard.route.mode.value)
        stop.wait(0.002)


if __name__ == "__main__":
    main()
