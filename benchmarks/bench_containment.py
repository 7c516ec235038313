"""Containment speed: signal → RouteState applied on the Guard, and the request-path cost of
active routing rules, each measured in one run.

    .venv/bin/python benchmarks/bench_containment.py [--trials 100] [--rows 100000]

Prints one ``RESULT {json}`` line and a markdown table; writes nothing unless ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

import numpy as np

import redline
from redline.domain import RouteState
from redline.domain.route_rules import InputFilter
from redline.guard.guard import GuardEngine as Guard
from redline.guard.sinks import MemorySink


def reference() -> Any:
    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000)
    return redline.fit_reference(
        {"x": x, "region": rng.choice(["n", "s"], 20_000), "score": 2 * x},
        prediction="score",
        window_sizes=[300, 1_000],
    )


def primary(row: dict[str, Any]) -> float:
    return 2.0 * row["x"]


def fallback(row: dict[str, Any]) -> float:
    return 0.0


def containment_trials(ref: Any, trials: int, poll_s: float) -> list[float]:
    """Seconds from closing a drifted window to the Guard serving the contained route."""
    rng = np.random.default_rng(1)
    rows = [{"x": float(v), "region": "n"} for v in rng.normal(1.5, 1.0, 600)]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{os.path.join(tmp, 'bench.db')}"
        for trial in range(trials):
            with redline.Guard(
                model=f"m{trial}",
                predict=primary,
                fallback=fallback,
                reference=ref,
                store=url,
                window_s=3600,
                route_poll_s=poll_s,
            ) as guard:
                for row in rows:
                    guard.predict(row)
                start = time.perf_counter()
                guard.flush()
                while guard.route.revision == 0:
                    if time.perf_counter() - start > 10:
                        raise SystemExit(f"trial {trial}: the route never changed")
                    time.sleep(0.001)
                out.append(time.perf_counter() - start)
    return out


def per_call_ns(guard: Guard, rows: list[dict[str, Any]], sources: list[str]) -> list[float]:
    """ns per call in blocks of 1,000 calls."""
    blocks = []
    for i in range(0, len(rows), 1_000):
        t0 = time.perf_counter_ns()
        for row, source in zip(rows[i : i + 1_000], sources[i : i + 1_000], strict=True):
            guard.predict(row, source=source)
        blocks.append((time.perf_counter_ns() - t0) / 1_000)
    return blocks


def routing_overhead(ref: Any, n_rows: int) -> dict[str, float]:
    """Median ns per call: plain Guard vs one with filters, blocked sources and a review threshold."""
    rng = np.random.default_rng(2)
    rows = [{"x": float(v), "region": "n"} for v in rng.normal(size=n_rows)]
    sources = [f"10.0.{i % 200}.{i % 250}" for i in range(n_rows)]
    plain = Guard(model="plain", predict=primary, reference=ref, sink=MemorySink(), window_s=3600)
    ruled = Guard(
        model="ruled",
        predict=primary,
        fallback=fallback,
        reference=ref,
        sink=MemorySink(),
        window_s=3600,
        confidence=lambda v: 0.99,
    )
    ruled.set_route(
        RouteState(model="ruled").with_changes(
            blocked_sources=("192.168.7.0/24", "tenant-x"),
            input_filters=(
                InputFilter("x", "gt", 1e9, "block"),
                InputFilter("region", "eq", "zz", "review"),
                InputFilter("x", "lt", -1e9, "fallback"),
            ),
            confidence_threshold=0.5,
        )
    )
    shadowed = Guard(
        model="shadowed",
        predict=primary,
        model_version="v1",
        versions={"v2": primary},
        reference=ref,
        sink=MemorySink(),
        window_s=3600,
    )
    shadowed.set_route(shadowed.route.with_changes(shadow_version="v2"))
    times: dict[str, list[float]] = {"plain": [], "ruled": [], "shadowed": []}
    guards = {"plain": plain, "ruled": ruled, "shadowed": shadowed}
    for k in range(6):  # interleaved, rotating the order
        order = list(guards)[k % 3 :] + list(guards)[: k % 3]
        for name in order:
            times[name].extend(per_call_ns(guards[name], rows, sources))
    for guard in guards.values():
        guard.close()
    med = {name: statistics.median(values) for name, values in times.items()}
    return {
        "plain_ns": med["plain"],
        "ruled_ns": med["ruled"],
        "added_ns": med["ruled"] - med["plain"],
        "shadowed_ns": med["shadowed"],
        "shadow_added_ns": med["shadowed"] - med["plain"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--poll-s", type=float, default=0.2)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--output", help="write the JSON result here as well")
    args = p.parse_args()
    ref = reference()
    seconds = sorted(containment_trials(ref, args.trials, args.poll_s))
    p50 = statistics.median(seconds)
    p99 = seconds[min(len(seconds) - 1, int(0.99 * len(seconds)))]
    overhead = routing_overhead(ref, args.rows)
    result = {
        "task": "containment",
        "trials": args.trials,
        "route_poll_s": args.poll_s,
        "signal_to_route_s_p50": p50,
        "signal_to_route_s_p99": p99,
        "signal_to_route_s_max": seconds[-1],
        **overhead,
        "loadavg": os.getloadavg(),
        "python": sys.version.split()[0],
    }
    print("RESULT " + json.dumps(result))
    print()
    print("| what | median | goal |")
    print("| --- | --- | --- |")
    print(
        f"| signal → RouteState applied on the Guard (embedded SQLite, poll {args.poll_s} s), {args.trials} trials | p50 {p50:.3f} s, p99 {p99:.3f} s | ≤ 1 s |"
    )
    print(f"| Guard per call, plain | {overhead['plain_ns'] / 1000:.2f} µs | – |")
    print(
        f"| Guard per call, 3 filters + 2 blocked sources + review threshold | {overhead['ruled_ns'] / 1000:.2f} µs (+{overhead['added_ns'] / 1000:.2f} µs) | within 2 µs of plain |"
    )
    print(
        f"| Guard per call, shadow mode on (the suspect runs on another thread) | {overhead['shadowed_ns'] / 1000:.2f} µs (+{overhead['shadow_added_ns'] / 1000:.2f} µs) | nothing measurable on the request path |"
    )
    if args.output:
        with open(args.output, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
