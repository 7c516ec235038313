"""How long a declaring window waits for its route change: arrival to the route change's commit.

A SEV1 window (one CRITICAL ``canary_failure`` signal) reaches ``services.ingest.record_windows``
for a model whose registered artifact is a ``--artifact-mb`` MB file, on a fresh SQLite file
each round. The policy snapshots, then flips the kill switch. Measured per round, in ms from
the call: ``route_commit_ms`` (the commit of the transaction that added the route state) and
``evidence_ms`` (the snapshot holds every byte: the same commit when the snapshot is taken in
one step; the copy's commit when its bytes follow the change). Runs on whatever ``redline`` is
importable, so the same script measures an older tree:

    .venv/bin/python benchmarks/bench_declare.py --rounds 5
    git archive HEAD | tar -x -C /tmp/redline-before
    PYTHONPATH=/tmp/redline-before/src .venv/bin/python benchmarks/bench_declare.py --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import event
from sqlalchemy.orm import Session

import redline
from redline.domain import Level, Signal
from redline.guard.sinks import ClosedWindow
from redline.profiles.window import WindowProfile
from redline.services import open_store
from redline.services.catalog import save_reference
from redline.services.ingest import record_windows
from redline.services.registry import deploy, register_version
from redline.services.response import ResponsePlan
from redline.services.snapshots import list_snapshot_views
from redline.store import RouteStateRow, Store

MODEL = "bench"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class CommitClock:
    """perf_counter() at each commit, marked when the session had added a route state."""

    def __init__(self) -> None:
        self.commits: list[tuple[float, bool]] = []
        event.listen(Session, "before_flush", self._flushing)
        event.listen(Session, "after_commit", self._committed)

    def _flushing(self, session: Session, *_: Any) -> None:
        if any(isinstance(row, RouteStateRow) for row in session.new):
            session.info["bench_route"] = True

    def _committed(self, session: Session) -> None:
        self.commits.append((time.perf_counter(), session.info.pop("bench_route", False)))

    def close(self) -> None:
        event.remove(Session, "before_flush", self._flushing)
        event.remove(Session, "after_commit", self._committed)


def _window(reference: redline.Reference, index: int, signals: list[Signal]) -> ClosedWindow:
    rng = np.random.default_rng(index)
    x = rng.normal(0.0, 1.0, 500)
    start = START + timedelta(minutes=index)
    window = WindowProfile.of(
        reference,
        {"x": x, "score": 2 * x},
        start=start,
        end=start + timedelta(seconds=59),
        window_id=f"w-{index}",
    )
    return ClosedWindow(model=MODEL, window=window, signals=signals)


def _prepare(folder: Path, artifact_mb: int) -> tuple[Store, redline.Reference]:
    rng = np.random.default_rng(5)
    x = rng.normal(size=5_000)
    reference = redline.fit_reference({"x": x, "score": 2 * x}, prediction="score")
    artifact = folder / "model.onnx"  # registered by hash, never loaded here
    with artifact.open("wb") as out:
        for _ in range(artifact_mb):
            out.write(os.urandom(1_000_000))
    store = open_store(f"sqlite:///{folder / 'redline.db'}")
    save_reference(store, model=MODEL, body=reference.to_dict(), actor="bench")
    register_version(store, model=MODEL, version="v1", artifact=artifact, actor="bench")
    deploy(store, model=MODEL, version="v1", actor="bench", reason="bench")
    record_windows(store, [_window(reference, i, []) for i in range(3)], plan=ResponsePlan())
    return store, reference


def one_round(artifact_mb: int) -> dict[str, float]:
    """One declaring window on a fresh store: ms to the route change's commit, to full evidence."""
    signal = Signal("canary", "canary_failure", None, "failed", 1.0, 0.0, Level.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="redline-bench-") as directory:
        store, reference = _prepare(Path(directory), artifact_mb)
        clock = CommitClock()
        try:
            began = time.perf_counter()
            record_windows(store, [_window(reference, 3, [signal])], plan=ResponsePlan())
            returned = time.perf_counter()
        finally:
            clock.close()
        (view,) = list_snapshot_views(store, model=MODEL)
        complete = getattr(view, "complete", True)
        store.dispose()
    route = next(at for at, changed in clock.commits if changed)
    return {
        "route_commit_ms": 1000 * (route - began),
        "evidence_ms": 1000 * (clock.commits[-1][0] - began),
        "returned_ms": 1000 * (returned - began),
        "snapshot_complete": float(bool(complete)),
        "snapshot_mb": view.size_bytes / 1e6,
    }


def main() -> None:
    """Run the rounds and print one JSON object (medians and every round)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--artifact-mb", type=int, default=200)
    args = parser.parse_args()
    rounds = [one_round(args.artifact_mb) for _ in range(args.rounds)]
    keys = ("route_commit_ms", "evidence_ms", "returned_ms")
    print(
        json.dumps(
            {
                "redline": str(Path(redline.__file__).parent),
                "python": sys.version.split()[0],
                "artifact_mb": args.artifact_mb,
                "median": {k: round(statistics.median(r[k] for r in rounds), 1) for k in keys},
                "rounds": [{k: round(v, 1) for k, v in r.items()} for r in rounds],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
