"""The processes of the memory soak (``soak_memory.py``), one role each, and the probe that every
one of them runs on a thread: Python object counts, glibc's and pymalloc's own accounting and,
when asked, ``tracemalloc``, appended as JSON lines to a file.

    python benchmarks/soak_roles.py cli --probe F [--tracemalloc N] -- <redline args, e.g. serve>
    python benchmarks/soak_roles.py remote --probe F --model M --server URL --token T ...
    python benchmarks/soak_roles.py embedded --probe F --model M --store URL --playbook P ...
    python benchmarks/soak_roles.py reader --probe F --server URL --token T --model M ...

SIGTERM stops a role cleanly (a Guard is closed, so its last window is sent).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import re
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

LABEL_EVERY = 10  # every tenth prediction gets a label, as label feedback arrives in production


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def mallinfo() -> dict[str, int]:
    """glibc's ``mallinfo2()`` summed over every arena: heap bytes from the system (``arena``),
    mmapped blocks (``hblkhd``), bytes in use (``uordblks``), bytes free inside the heaps
    (``fordblks``). Empty off glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        function = libc.mallinfo2
    except (OSError, AttributeError):
        return {}
    function.restype = _MallInfo2
    info = function()
    return {field[0]: int(getattr(info, field[0])) for field in _MallInfo2._fields_}


_PYMALLOC = {
    "arenas": re.compile(r"# arenas allocated current\s*=\s*([\d,]+)"),
    "allocated_blocks_bytes": re.compile(r"# bytes in allocated blocks\s*=\s*([\d,]+)"),
    "available_blocks_bytes": re.compile(r"# bytes in available blocks\s*=\s*([\d,]+)"),
    "unused_pools_bytes": re.compile(r"(\d+) unused pools \* \d+ bytes\s*=\s*([\d,]+)"),
}


def pymalloc() -> dict[str, int]:
    """pymalloc's arenas and the bytes in used / free blocks (``sys._debugmallocstats``, which
    writes to fd 2: caught in a file for the moment it takes)."""
    with tempfile.TemporaryFile(mode="w+b") as capture:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            os.dup2(capture.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        capture.seek(0)
        text = capture.read().decode(errors="replace")
    out: dict[str, int] = {}
    for name, pattern in _PYMALLOC.items():
        if match := pattern.search(text):
            out[name] = int(match.group(match.lastindex or 1).replace(",", ""))
    return out


class Probe:
    """Every ``every_s`` seconds, one JSON line about this process's own memory."""

    def __init__(self, path: Path, every_s: float, tracemalloc_frames: int, warmup_s: float):
        self.path, self.every_s, self.warmup_s = path, every_s, warmup_s
        self.started = time.time()
        self.stop = threading.Event()
        self.baseline: tracemalloc.Snapshot | None = None
        if tracemalloc_frames:
            tracemalloc.start(tracemalloc_frames)
        self.thread = threading.Thread(target=self._run, name="soak-probe", daemon=True)

    def start(self, trim_s: float = 0.0) -> Probe:
        self.thread.start()
        if trim_s > 0:
            threading.Thread(
                target=self._trim, args=(trim_s,), name="soak-trim", daemon=True
            ).start()
        return self

    def _trim(self, every_s: float) -> None:
        """glibc ``malloc_trim(0)`` every ``every_s``: free pages inside every arena go back to
        the system (a candidate fix for RSS that grows while the bytes in use do not)."""
        libc = ctypes.CDLL("libc.so.6")
        while not self.stop.wait(every_s):
            libc.malloc_trim(0)

    def _run(self) -> None:
        while not self.stop.wait(self.every_s):
            self.sample()

    def sample(self) -> None:
        # No gc.get_objects() here: on a thread of a busy process it can hand out a tuple still
        # being built by another thread, whose _PyTuple_Resize then fails with "SystemError:
        # bad argument to internal function". Counts and allocator statistics are safe.
        row: dict[str, Any] = {
            "t": time.time(),
            "gc_counts": gc.get_count(),
            "gc_collections": [g["collections"] for g in gc.get_stats()],
            "gc_uncollectable": sum(g["uncollectable"] for g in gc.get_stats()),
            "gc_garbage": len(gc.garbage),
            "allocated_blocks": sys.getallocatedblocks(),
            "threads": threading.active_count(),
            "mallinfo": mallinfo(),
            "pymalloc": pymalloc(),
        }
        if tracemalloc.is_tracing():
            row["tracemalloc"] = self._traced()
        with self.path.open("a") as out:
            out.write(json.dumps(row) + "\n")

    def _traced(self) -> dict[str, Any]:
        current, peak = tracemalloc.get_traced_memory()
        out: dict[str, Any] = {
            "current": current,
            "peak": peak,
            "overhead": tracemalloc.get_tracemalloc_memory(),
        }
        if time.time() - self.started < self.warmup_s:
            return out
        snapshot = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(False, tracemalloc.__file__)]
        )
        if self.baseline is None:
            self.baseline = snapshot
            return out
        diff = snapshot.compare_to(self.baseline, "lineno")[:15]
        out["top_growth"] = [
            {"where": str(d.traceback[0]), "size_diff": d.size_diff, "count_diff": d.count_diff}
            for d in diff
        ]
        return out


def _stopper() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = threading.Event()

    def handle(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def _drifting(args: argparse.Namespace, started: float) -> bool:
    """Whether the data is shifted now: ``drift_s`` out of every ``period_s``, after ``phase_s``."""
    if args.period_s <= 0:
        return False
    elapsed = time.monotonic() - started + float(args.phase_s)
    return elapsed % float(args.period_s) < float(args.drift_s)


def serve_traffic(guard: Any, args: argparse.Namespace, stop: threading.Event) -> None:
    """``x ~ N(shift, 1)`` and a region, one prediction every ``interval_ms``; labels on a tenth."""
    rng = np.random.default_rng()
    started, n = time.monotonic(), 0
    while not stop.is_set():
        shift = args.shift if _drifting(args, started) else 0.0
        x = float(rng.normal(shift, 1.0))
        decision = guard.predict({"x": x, "region": "n" if rng.random() < 0.5 else "s"})
        if n % LABEL_EVERY == 0:
            guard.feedback(decision.request_id, 2 * x)
        n += 1
        stop.wait(args.interval_ms / 1000)


def run_guard(args: argparse.Namespace, **where: Any) -> None:
    import redline

    stop = _stopper()
    guard = redline.Guard(
        model=args.model,
        predict=lambda row: 2 * float(row["x"]),
        fallback=lambda row: 0.0,
        reference=args.reference,
        window_s=args.window_s,
        **where,
    )
    try:
        serve_traffic(guard, args, stop)
    finally:
        guard.close()


def run_reader(args: argparse.Namespace) -> None:
    """The dashboard (logged in with a cookie) and the API, round after round."""
    import httpx

    stop = _stopper()
    api = {"Authorization": f"Bearer {args.token}"}
    reads = [
        "/api/v1/models",
        "/api/v1/incidents",
        "/api/v1/signals",
        "/api/v1/actions",
        "/api/v1/notifications",
        "/metrics",
    ]
    codes: Counter[str] = Counter()
    with httpx.Client(base_url=args.server, timeout=60) as client:
        while not stop.is_set():
            try:
                if not client.cookies:
                    client.post("/login", data={"token": args.token})
                read_round(client, api, reads, args.model, codes)
            except httpx.TransportError as exc:  # counted, and the next round goes on
                codes[type(exc).__name__] += 1
            stop.wait(args.pause_s)
    print(json.dumps({"status_codes": dict(codes)}), flush=True)


def read_round(
    client: Any, api: dict[str, str], reads: list[str], models: list[str], codes: Counter[str]
) -> None:
    """Each API read, then the dashboard's overview, incidents, model and latest incident."""
    for path in reads:
        codes[str(client.get(path, headers=api).status_code)] += 1
    incidents = client.get("/api/v1/incidents", headers=api)
    pages = ["/", "/incidents", *(f"/models/{m}" for m in models)]
    if incidents.is_success and incidents.json():
        key = incidents.json()[0]["key"]
        pages += [f"/incidents/{key}"]
        codes[str(client.get(f"/api/v1/incidents/{key}", headers=api).status_code)] += 1
    for path in pages:
        codes[str(client.get(path).status_code)] += 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("role", choices=["cli", "remote", "embedded", "reader"])
    p.add_argument("--probe", type=Path, required=True, help="JSON lines written here")
    p.add_argument("--probe-s", type=float, default=60.0)
    p.add_argument("--warmup-s", type=float, default=600.0)
    p.add_argument("--tracemalloc", type=int, default=0, help="frames kept (0: off)")
    p.add_argument("--trim-s", type=float, default=0.0, help="malloc_trim(0) this often (0: off)")
    p.add_argument("--model", action="append", default=[])
    p.add_argument("--server")
    p.add_argument("--token")
    p.add_argument("--store")
    p.add_argument("--playbook")
    p.add_argument("--spool-dir")
    p.add_argument("--reference")
    p.add_argument("--window-s", type=float, default=2.0)
    p.add_argument("--interval-ms", type=float, default=5.0)
    p.add_argument("--period-s", type=float, default=0.0, help="drift cycle (0: never drift)")
    p.add_argument("--phase-s", type=float, default=0.0)
    p.add_argument("--drift-s", type=float, default=60.0)
    p.add_argument("--shift", type=float, default=1.5)
    p.add_argument("--pause-s", type=float, default=1.0)
    return p


def main() -> None:
    argv = sys.argv[1:]
    rest = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = _parser().parse_args(argv[: len(argv) - len(rest) - (1 if rest else 0)])
    probe = Probe(args.probe, args.probe_s, args.tracemalloc, args.warmup_s).start(args.trim_s)
    try:
        if args.role == "cli":
            from redline.cli.main import run

            sys.argv = ["redline", *rest]
            run()
        elif args.role == "remote":
            args.model = args.model[0]
            run_guard(args, server=args.server, token=args.token, spool_dir=args.spool_dir)
        elif args.role == "embedded":
            args.model = args.model[0]
            run_guard(args, store=args.store, playbook=args.playbook, spool_dir=args.spool_dir)
        else:
            run_reader(args)
    finally:
        probe.stop.set()
        probe.sample()


if __name__ == "__main__":
    main()
