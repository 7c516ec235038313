"""False alarms and power: signals, incidents and route changes per 1,000 null windows of real
and synthetic data, and windows until a fault is detected, escalated and contained.

    .venv/bin/python benchmarks/bench_false_alarms.py [--part signals,guard,power] [--windows 400]
        [--guard-seconds 180] [--trials 2] [--sets flights,diamonds,...] [--no-write]

Parts: ``signals`` (every monitor on null windows, through ``MonitorSuite`` as a Guard runs it,
plus the label service's performance verdict), ``guard`` (a whole embedded Guard with the
default policy and a SQLite store), ``power`` (faults injected into 1,000-row windows).
Prints one ``RESULT {json}`` line and Markdown tables; writes
``benchmarks/results/false_alarms-<stamp>.json`` and ``.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

import false_alarm_tables as tables
import faults
import guard_streams as gs
import null_signals as sig
import null_streams as ns
import redline
from redline.store import Store

RESULTS = Path(__file__).resolve().parent / "results"
#: Tables big enough for 1,000-row windows: the Guard and power parts use these.
BIG = ["flights", "diamonds", "fertility", "insteval", "cps1988"]
SYNTHETIC = {100: 1_000, 1_000: 500, 10_000: 200, 100_000: 30}


def provenance() -> dict[str, Any]:
    """Which redline was measured: its path, commit and whether its src/ differs from it."""
    root = Path(redline.__file__).resolve().parents[2]

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "redline_src": str(root / "src"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "src_modified": bool(git("status", "--porcelain", "--", "src")),
        "python": sys.version.split()[0],
        "loadavg_before": os.getloadavg(),
    }


def part_signals(real: dict[str, ns.RealSet], args: argparse.Namespace) -> dict[str, Any]:
    """Every monitor on null windows of each real set and of synthetic data."""
    out: dict[str, Any] = {"real": {}, "synthetic": {}}
    for name, data in real.items():
        began = time.monotonic()
        tally, size = sig.real_tally(data, args.windows, args.seed)
        out["real"][name] = {
            "window": size,
            "reference_rows": len(data.reference),
            "pool_rows": len(data.pool),
            "seconds": time.monotonic() - began,
            **tally.to_dict(),
        }
        print(f"signals {name}: {tally.windows} windows", file=sys.stderr)
    for size, count in parse_sizes(args.synthetic).items():
        tally, n_ref = sig.synthetic_tally(size, count, args.seed)
        out["synthetic"][str(size)] = {"window": size, "reference_rows": n_ref, **tally.to_dict()}
        print(f"signals synthetic {size}: {tally.windows} windows", file=sys.stderr)
    return out


def part_guard(real: dict[str, ns.RealSet], url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Null windows through a whole embedded Guard for each big real set."""
    names = [n for n in real if n in BIG]
    store = Store.from_url(url)
    out = {}
    try:
        for name in names:
            tally = gs.null_guard(
                real[name],
                store,
                url,
                seconds=args.guard_seconds / max(len(names), 1),
                stream_len=args.stream_len,
                label_share=args.label_share,
                seed=args.seed,
            )
            out[name] = tally.to_dict()
            print(f"guard {name}: {tally.windows} windows", file=sys.stderr)
    finally:
        store.dispose()
    return out


def power_cases(real: dict[str, ns.RealSet], seed: int) -> list[tuple[str, str, Any, Any, Any]]:
    """(set, fault, data, null window maker, fault window maker) for every case to run."""
    cases = []
    for name in (n for n in real if n in BIG):
        data = real[name]
        for fault in faults.MAKERS:
            cases.append((name, fault, data, faults.null_of(data), faults.window_of(fault, data)))
        if name == "flights":
            season, july = faults.seasonal(data, seed)
            cases.append((name, "seasonal", season, faults.null_of(season), july))
    return cases


def part_power(real: dict[str, ns.RealSet], url: str, args: argparse.Namespace) -> list[Any]:
    """Windows from the onset of each fault to signal, incident and containment."""
    store = Store.from_url(url)
    refs: dict[int, Any] = {}
    out = []
    try:
        for name, fault, data, null, bad in power_cases(real, args.seed):
            if id(data) not in refs:
                refs[id(data)] = sig.fit(data, confidence=False)
            makers = [null] * args.pre + [bad] * args.max_fault
            ref = refs[id(data)]
            run = partial(trial, data, ref, store, url, fault, makers, args.pre, args.label_share)
            base = zlib.crc32(f"{name}-{fault}".encode()) % 100_000 + args.seed
            trials = [retried(run, base + 7_919 * t, args.attempts) for t in range(args.trials)]
            out.append(
                {
                    "set": name,
                    "fault": fault,
                    "injected": faults.describe(fault, data),
                    "expected": sorted(faults.EXPECTED[fault]),
                    "column": faults.column_of(fault, data),
                    "trials": trials,
                }
            )
            print(f"power {name} {fault}: {trials}", file=sys.stderr)
    finally:
        store.dispose()
    return out


def retried(run: Callable[[int], dict[str, Any]], seed: int, attempts: int) -> dict[str, Any]:
    """A trial, run again with another seed while a false alarm contained it before the onset."""
    out: dict[str, Any] = {}
    for attempt in range(attempts):
        out = run(seed + 100_003 * attempt)
        out["false_starts"] = attempt
        if out["route"] != "before onset":
            return out
    out["false_starts"] = attempts
    return out


def trial(
    data: ns.RealSet,
    ref: Any,
    store: Store,
    url: str,
    fault: str,
    makers: list[Any],
    pre: int,
    label_share: float,
    seed: int,
) -> dict[str, Any]:
    """One Guard: ``pre`` null windows, then faulty ones until contained or out of windows."""
    model = f"power-{data.name}-{fault}-{seed}"
    served = gs.open_guard(data, ref, url, model, sig.T0, label_share)
    try:
        detects = faults.detector(fault, data)
        marks, causes = gs.watch(served, store, detects, makers, np.random.default_rng(seed))
    finally:
        served.guard.close()
    contained = any(marks["route"][:pre])  # then no faulty window was served
    out: dict[str, Any] = {
        name: "before onset" if contained or any(flags[:pre]) else gs.first(flags[pre:])
        for name, flags in marks.items()
    }
    out["contained_by"] = causes
    return out


def parse_sizes(text: str) -> dict[int, int]:
    """``"100:1000,1000:500"`` -> {100: 1000, 1000: 500}."""
    out = {}
    for item in filter(None, text.split(",")):
        size, count = item.split(":")
        out[int(size)] = int(count)
    return out


def arguments() -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--part", default="signals,guard,power", help="comma list of parts")
    p.add_argument("--sets", default=",".join(ns.TABLES), help="comma list of real tables")
    p.add_argument("--windows", type=int, default=400, help="null windows per real table")
    default = ",".join(f"{k}:{v}" for k, v in SYNTHETIC.items())
    p.add_argument("--synthetic", default=default, help="window size:count of synthetic nulls")
    p.add_argument("--guard-seconds", type=float, default=180.0, help="Guard part, all tables")
    p.add_argument("--stream-len", type=int, default=100, help="windows per Guard (model name)")
    p.add_argument("--label-share", type=float, default=0.25, help="labels fed back per row")
    p.add_argument("--trials", type=int, default=2, help="power: trials per table and fault")
    p.add_argument("--attempts", type=int, default=3, help="power: seeds tried per trial")
    p.add_argument("--pre", type=int, default=2, help="power: null windows before the onset")
    p.add_argument("--max-fault", type=int, default=4, help="power: faulty windows at most")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-write", action="store_true", help="print only")
    p.add_argument(
        "--summarize", metavar="JSON", help="re-render a results file's .md, run nothing"
    )
    return p.parse_args()


def main() -> None:
    """Run the chosen parts, print the RESULT line and the tables, write the results."""
    args = arguments()
    if args.summarize:
        path = Path(args.summarize)
        markdown = tables.render(json.loads(path.read_text()))
        path.with_suffix(".md").write_text(markdown + "\n")
        print(markdown)
        return
    parts = set(args.part.split(","))
    began = time.monotonic()
    result: dict[str, Any] = {"task": "false_alarms", **provenance(), "args": vars(args)}
    names = [n for n in args.sets.split(",") if n]
    if parts - {"signals"}:
        names = [n for n in names if n in BIG or "signals" in parts]
    real = {name: ns.load(name, args.seed) for name in names}
    with tempfile.TemporaryDirectory(prefix="redline-fa-") as tmp:
        url = f"sqlite:///{os.path.join(tmp, 'redline.db')}"
        from redline.services.store_access import open_store

        open_store(url).dispose()
        if "signals" in parts:
            result["signals"] = part_signals(real, args)
        if "guard" in parts:
            result["guard"] = part_guard(real, url, args)
        if "power" in parts:
            result["power"] = part_power(real, url, args)
    result["seconds"] = time.monotonic() - began
    result["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    markdown = tables.render(result)
    print("RESULT " + json.dumps(result, default=str))
    print()
    print(markdown)
    if not args.no_write:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"false_alarms-{stamp}.json").write_text(
            json.dumps(result, indent=1, default=str)
        )
        (RESULTS / f"false_alarms-{stamp}.md").write_text(markdown + "\n")
        print(f"wrote {RESULTS}/false_alarms-{stamp}.md and .json", file=sys.stderr)


if __name__ == "__main__":
    main()
