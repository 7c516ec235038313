"""A whole embedded Guard (default policy, SQLite store) fed null or faulty windows of real data.

The model's outputs are computed once per window with the table's scikit-learn model and
served in request order; labels go back through ``guard.feedback``; a fallback serves the
reference's most common label. Incidents and routes are read through ``redline.services``
as ``redline incidents list`` and ``redline routes history`` read them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

import null_signals as sig
import null_streams as ns
import redline
from redline.domain import Signal
from redline.profiles.reference import Reference
from redline.services.views import list_incident_views, list_route_views
from redline.store import Store, list_signals

STREAM_DAY = timedelta(days=1)
SEVERE = ("SEV1", "SEV2")


class Replay:
    """The model's precomputed outputs for the current window, served by request index."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.i = 0

    def __call__(self, row: Any) -> Any:
        """The output for request ``i`` (the row was already scored with the window)."""
        return self.values[self.i]


class Clock:
    """The Guard's clock: it moves one window per window served."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """The current time."""
        return self.now


@dataclass
class Served:
    """A running Guard with what it needs to serve windows."""

    guard: Any
    replay: Replay
    clock: Clock
    real: ns.RealSet
    model: str
    label_share: float = 1.0


def open_guard(
    real: ns.RealSet, ref: Reference, url: str, model: str, start: datetime, label_share: float
) -> Served:
    """An embedded Guard with the default policy on the SQLite store at ``url``."""
    replay, clock = Replay(), Clock(start)
    fallback = real.fallback_value()
    guard = redline.Guard(
        model=model,
        predict=replay,
        fallback=lambda row: fallback,
        reference=ref,
        store=url,
        window_s=86_400.0,
        clock=clock,
    )
    return Served(guard, replay, clock, real, model, label_share)


def serve(served: Served, frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Serve one window row by row, feed a random ``label_share`` of labels back, close it."""
    table = served.real.table
    rows = frame[table.features].to_dict("records")
    served.replay.values = frame[ns.PREDICTION].tolist()
    keys = ns.sources(frame, table, rng)
    ids = []
    for j, row in enumerate(rows):
        served.replay.i = j
        ids.append(served.guard.predict(row, source=keys[j]).request_id)
    labels = frame[table.target].tolist()
    for j in np.flatnonzero(rng.random(len(ids)) < served.label_share):
        served.guard.feedback(ids[j], labels[j])
    served.clock.now += sig.WINDOW_STEP
    served.guard.flush()


def stored_signals(store: Store, model: str) -> list[Signal]:
    """Every signal stored for ``model``, oldest first."""
    with store.reading() as session:
        rows = list_signals(session, model=model, limit=1_000_000)
        return [row.to_signal() for row in reversed(rows)]


def by_window(signals: list[Signal]) -> dict[datetime | None, list[Signal]]:
    """Signals grouped by the end of the window they were raised on."""
    out: dict[datetime | None, list[Signal]] = {}
    for s in signals:
        out.setdefault(s.window_end, []).append(s)
    return out


@dataclass
class GuardTally:
    """Null windows served through Guards, and what the store made of them."""

    windows: int = 0
    streams: int = 0
    incidents: Counter[str] = field(default_factory=Counter)
    route_changes: int = 0
    seconds: float = 0.0
    signals: sig.Tally = field(default_factory=sig.Tally)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "windows": self.windows,
            "streams": self.streams,
            "incidents": dict(self.incidents),
            "route_changes": self.route_changes,
            "seconds": self.seconds,
            "signals": self.signals.to_dict(),
        }


def count_stream(store: Store, model: str, windows: int, tally: GuardTally) -> None:
    """Add one stream's incidents (by final severity), route revisions and signals."""
    for incident in list_incident_views(store, model=model, limit=100_000):
        tally.incidents[incident.severity.value] += 1
    tally.route_changes += len(list_route_views(store, model=model))
    grouped = by_window(stored_signals(store, model))
    for signals in grouped.values():
        tally.signals.add(signals, sig.severity(signals))
    tally.signals.windows += windows - len(grouped)
    tally.signals.severities["none"] += windows - len(grouped)
    tally.windows += windows
    tally.streams += 1


def null_guard(
    real: ns.RealSet,
    store: Store,
    url: str,
    *,
    seconds: float,
    stream_len: int,
    label_share: float,
    seed: int,
) -> GuardTally:
    """Serve null windows for ``seconds``, in streams of ``stream_len`` windows per model name."""
    ref = sig.fit(real, confidence=False)
    rng = np.random.default_rng(seed)
    size = min(real.table.window, len(real.pool) // 2)
    tally = GuardTally()
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        model = f"null-{real.name}-{seed}-{tally.streams}"
        start = sig.T0 + tally.streams * STREAM_DAY
        served = open_guard(real, ref, url, model, start, label_share)
        n = 0
        try:
            while n < stream_len and time.monotonic() - began < seconds:
                serve(served, ns.draw(real.pool, size, rng), rng)
                n += 1
                if served.guard.route.revision > 0:
                    break  # contained: what it serves now is no longer the null stream
        finally:
            served.guard.close()
        count_stream(store, model, n, tally)
    tally.seconds = time.monotonic() - began
    return tally


def first(flags: list[bool]) -> int | None:
    """The 1-based index of the first true flag, or None."""
    return next((i + 1 for i, f in enumerate(flags) if f), None)


def watch(
    served: Served,
    store: Store,
    detects: Callable[[Signal], bool],
    windows: list[Callable[[np.random.Generator], pd.DataFrame]],
    rng: np.random.Generator,
) -> tuple[dict[str, list[bool]], list[str]]:
    """Serve ``windows`` in turn: the milestones reached after each, kinds on the containing one."""
    marks: dict[str, list[bool]] = {"signal": [], "incident": [], "severe": [], "route": []}
    for make in windows:
        serve(served, make(rng), rng)
        signals = stored_signals(store, served.model)
        severities = {i.severity.value for i in list_incident_views(store, model=served.model)}
        marks["signal"].append(any(detects(s) for s in signals))
        marks["incident"].append(bool(severities))
        marks["severe"].append(bool(severities & set(SEVERE)))
        marks["route"].append(served.guard.route.revision > 0)
        if marks["route"][-1]:
            now = served.clock.now
            return marks, sorted({sig.signal_key(s) for s in signals if s.window_end == now})
    return marks, []
