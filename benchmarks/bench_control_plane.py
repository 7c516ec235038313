"""What responding to a declaring window costs the embedded Guard's own threads.

    .venv/bin/python benchmarks/bench_control_plane.py [--trials 5] [--webhook blackhole|refused]
    PYTHONPATH=/tmp/rl-before/src .venv/bin/python benchmarks/bench_control_plane.py   # another tree

Each trial: a Guard on a fresh SQLite file with a playbook that routes confirmed drift (SEV2)
to the fallback and pages a webhook that is dead (``blackhole``: a local server that accepts
connections and never answers; ``refused``: a closed port). Two shifted windows are served;
the second declares the incident. Measured on the declaring window:

- ``write_s``: how long the Guard's window thread spent handing the window to its sink (the
  window thread folds and closes windows: while it is held, new rows queue, then drop);
- ``route_s``: from that hand-over starting to the Guard serving the changed route;
- ``route_loop_cpu_s``: CPU time the control loop's thread used over that same span (what the
  response itself costs, whatever else the machine runs; 0 on a tree without the loop);
- SQL statements executed on each thread while the window was handed over and responded to
  (SQLAlchemy ``before_cursor_execute``, by thread name), and how many of them ran before the
  Guard served the new route (``sql_before_route``).

Uses only ``redline.Guard(..., store=Store, playbook=Playbook)``, so it runs against any tree.
Prints one ``RESULT {json}`` line and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import tempfile
import threading
import time
from collections import Counter
from typing import Any

import numpy as np
import yaml
from sqlalchemy import event

import redline
from redline.playbook import parse_playbook
from redline.playbook.policy import DEFAULT_RULES
from redline.store import Store, upgrade

MODEL = "credit"
DRIFT_SEV2 = {
    "match": {"kinds": ["feature_drift", "prediction_drift"], "levels": ["alarm", "critical"]},
    "severity": "SEV2",
    "actions": ["snapshot", "route_fallback", "page"],
}


def reference() -> Any:
    rng = np.random.default_rng(31)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "region": rng.choice(["n", "s"], 20_000), "score": 2 * x},
        prediction="score",
        window_sizes=[300, 1_000, 10_000],
    )


def blackhole() -> tuple[str, socket.socket]:
    """A listening socket whose connections are accepted by the kernel and never answered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    return f"http://127.0.0.1:{server.getsockname()[1]}/hook", server


def refused() -> str:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: connections are refused
    return f"http://127.0.0.1:{port}/hook"


def playbook(url: str) -> Any:
    body = {
        "version": 1,
        "models": {MODEL: {"reference": "reference.json", "primary": "credit:v1"}},
        "severity": {"version": "bench", "rules": [DRIFT_SEV2, *DEFAULT_RULES]},
        "runbooks": {"SEV2": {"page": True}},
        "notifications": {"ops": {"type": "webhook", "url": url}},
    }
    return parse_playbook(yaml.safe_dump(body, sort_keys=False), env={})


def rows(seed: int, n: int = 1_000) -> list[dict[str, Any]]:
    """Only ``region`` drifts (all "n"): a warning in one window, an alarm in two running."""
    rng = np.random.default_rng(seed)
    return [{"x": float(x), "region": "n"} for x in rng.normal(0.0, 1.0, n)]


def loop_cpu_s(guard: Any) -> float:
    """CPU seconds the Guard's control loop thread has used (0 on a tree without one): unlike
    wall time, what other processes on a busy machine take does not count."""
    thread = getattr(getattr(guard, "control", None), "_thread", None)
    if not isinstance(thread, threading.Thread) or thread.ident is None:
        return 0.0
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    except (AttributeError, OSError):  # not Linux/BSD, or the thread ended
        return 0.0


def trial(ref: Any, url: str, directory: str, index: int) -> dict[str, Any]:
    store = Store.from_url(f"sqlite:///{os.path.join(directory, f'bench{index}.db')}")
    upgrade(store.engine)
    statements: Counter[str] = Counter()
    before_route: Counter[str] = Counter()
    counting, served = threading.Event(), threading.Event()

    def count(*_args: Any) -> None:
        if counting.is_set():
            name = threading.current_thread().name
            thread = name.rsplit("-", 1)[0] if name.startswith("redline-") else "caller"
            statements[thread] += 1
            if not served.is_set():
                before_route[thread] += 1

    event.listen(store.engine, "before_cursor_execute", count)
    guard = redline.Guard(
        model=MODEL,
        predict=lambda r: 2 * r["x"],
        fallback=lambda r: 0.0,
        reference=ref,
        store=store,
        playbook=playbook(url),
        window_s=3600,
    )
    starts: list[float] = []
    writes: list[float] = []
    write = guard.sink.write

    cpu_at_start: list[float] = []

    def timed(closed: Any) -> None:
        starts.append(time.perf_counter())
        cpu_at_start.append(loop_cpu_s(guard))
        try:
            write(closed)
        finally:
            writes.append(time.perf_counter() - starts[-1])

    guard.sink.write = timed  # type: ignore[method-assign]
    try:
        for row in rows(1):
            guard.predict(row)
        guard.flush()
        if guard.route.revision != 0:
            raise SystemExit("the first window already changed the route")
        for row in rows(2):
            guard.predict(row)
        counting.set()
        flusher = threading.Thread(target=guard.flush)
        flusher.start()
        while len(starts) < 2:  # the declaring window's hand-over has begun
            time.sleep(0.0002)
        while guard.route.revision == 0 and time.perf_counter() - starts[1] < 120:
            time.sleep(0.0002)
        route_s = time.perf_counter() - starts[1]
        route_cpu_s = loop_cpu_s(guard) - cpu_at_start[1]
        served.set()
        changed = guard.route.revision > 0
        flusher.join()
        counting.clear()
    finally:
        guard.close()
        event.remove(store.engine, "before_cursor_execute", count)
        store.dispose()
    return {
        "write_s": writes[1],
        "route_loop_cpu_s": route_cpu_s,
        "route_s": route_s if changed else None,
        "sql_by_thread": dict(statements),
        "sql_before_route": dict(before_route),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--webhook", choices=["blackhole", "refused"], default="blackhole")
    args = parser.parse_args()
    ref = reference()
    hole = None
    if args.webhook == "blackhole":
        url, hole = blackhole()
    else:
        url = refused()
    results = []
    with tempfile.TemporaryDirectory() as directory:
        for index in range(args.trials):
            results.append(trial(ref, url, directory, index))
    if hole is not None:
        hole.close()
    threads = sorted({name for r in results for name in r["sql_by_thread"]})
    summary = {
        "webhook": args.webhook,
        "trials": args.trials,
        "write_s_median": statistics.median(r["write_s"] for r in results),
        "write_s_max": max(r["write_s"] for r in results),
        "route_s_median": statistics.median(r["route_s"] for r in results if r["route_s"]),
        "route_s_max": max(r["route_s"] for r in results if r["route_s"]),
        "route_loop_cpu_s_median": statistics.median(r["route_loop_cpu_s"] for r in results),
        "sql_median_by_thread": {
            t: statistics.median(r["sql_by_thread"].get(t, 0) for r in results) for t in threads
        },
        "sql_before_route_median_by_thread": {
            t: statistics.median(r["sql_before_route"].get(t, 0) for r in results) for t in threads
        },
        "load_average": os.getloadavg(),
        "src": redline.__file__,
    }
    print("RESULT " + json.dumps(summary))
    print(
        "| webhook | window-thread hand-over (median / max) | close → route changed "
        "(median / max) | loop CPU until then | SQL statements per declaring window, by thread "
        "(before the route) |"
    )
    print("| --- | --- | --- | --- | --- |")
    early = summary["sql_before_route_median_by_thread"]
    sql = ", ".join(
        f"{t}: {n:g} ({early[t]:g})" for t, n in summary["sql_median_by_thread"].items()
    )
    print(
        f"| {args.webhook} | {summary['write_s_median'] * 1000:.1f} ms / "
        f"{summary['write_s_max'] * 1000:.1f} ms | {summary['route_s_median'] * 1000:.1f} ms / "
        f"{summary['route_s_max'] * 1000:.1f} ms | "
        f"{summary['route_loop_cpu_s_median'] * 1000:.1f} ms | {sql} |"
    )


if __name__ == "__main__":
    main()
