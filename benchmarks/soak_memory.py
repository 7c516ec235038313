"""Memory soak: one `redline serve` under mixed load for an hour, and the memory of every process.

    .venv/bin/python benchmarks/soak_memory.py [--minutes 60] [--sample-s 15] [--probe-s 60]
    MALLOC_ARENA_MAX=2 .venv/bin/python benchmarks/soak_memory.py --minutes 50 --tag arena2
    .venv/bin/python benchmarks/soak_memory.py --minutes 30 --trim-s 60 --tag trim60
    .venv/bin/python benchmarks/soak_memory.py --tracemalloc 1 ...  # the server traces (costly)

What runs (each a process of its own, see ``soak_roles.py``): `redline serve` on a fresh SQLite
file with a playbook that routes confirmed drift to the fallback and pages a local webhook, and
`redline worker` beside it (it sends the pages); three remote Guards (``server=``/``token=``) on
models ``soak-a``/``soak-b``/``soak-c``, 2 s windows, a prediction every ~5 ms with a label on a
tenth, ``soak-a`` and ``soak-c`` drifting 60 s in every 300 s (incidents, snapshots, containment,
restores, pages); one reader looping over the dashboard (logged in) and the API (incidents,
signals, actions, notifications, /metrics, the model and incident pages), pausing 1 s between
rounds; one embedded Guard with its own SQLite store and the same playbook, drifting likewise.

Every ``--sample-s`` the parent reads each process's RSS, USS/PSS (``/proc/<pid>/smaps_rollup``),
threads, open fds and CPU time, and the size of the store files. Every ``--probe-s`` each process
writes its own allocated block count, gc statistics, glibc ``mallinfo2`` (bytes in use and free
inside the heaps) and pymalloc's arenas (and tracemalloc growth with ``--tracemalloc N``).
Writes ``benchmarks/results/soak-<stamp>.csv`` (outside samples), ``soak-<stamp>.json``
(everything plus the summary) and ``soak-<stamp>.md`` (start / end / peak and the least-squares
slope per hour after ``--warmup-min``, per process).
"""

from __future__ import annotations

import argparse
import csv
import http.server
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml

import redline
from redline.services import open_store
from redline.services.catalog import save_reference
from redline.services.tokens import create_token

HERE = Path(__file__).resolve().parent
ROLES = HERE / "soak_roles.py"
RESULTS = HERE / "results"
REMOTE_MODELS = {"soak-a": 0.0, "soak-b": None, "soak-c": 150.0}  # drift phase, None: clean
EMBEDDED_MODEL = "soak-embedded"
DRIFT_RULE = {
    "match": {
        "kinds": ["feature_drift", "prediction_drift", "confidence_drop"],
        "levels": ["alarm", "critical"],
    },
    "severity": "SEV2",
    "actions": ["snapshot", "route_fallback", "page"],
}
FIELDS = [
    "t_s",
    "process",
    "pid",
    "rss_kb",
    "pss_kb",
    "uss_kb",
    "anon_kb",
    "threads",
    "fds",
    "cpu_s",
    "store_bytes",
    "loadavg_1m",
]


class Receiver(http.server.BaseHTTPRequestHandler):
    """The webhook channel's far end: counts the pages it receives."""

    pages = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).pages += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def receiver() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


def free_port() -> int:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def prepare(work: Path, hook: str) -> dict[str, Any]:
    """Reference, playbook, a migrated store with the references and two tokens."""
    rng = np.random.default_rng(31)
    x = rng.normal(size=20_000)
    ref = redline.fit_reference(
        {"x": x, "region": rng.choice(["n", "s"], 20_000), "score": 2 * x},
        prediction="score",
        window_sizes=[300],
    )
    ref.save(work / "reference.json")
    from redline.playbook.policy import DEFAULT_RULES

    playbook = {
        "version": 1,
        "models": {"unused": {"reference": "reference.json", "primary": "unused:v1"}},
        "severity": {"version": "soak-1", "rules": [DRIFT_RULE, *DEFAULT_RULES]},
        "notifications": {"hook": {"type": "webhook", "url": hook}},
    }
    (work / "redline.yaml").write_text(yaml.safe_dump(playbook, sort_keys=False))
    url = f"sqlite:///{work / 'server.db'}"
    store = open_store(url)
    try:
        tokens = {
            r: create_token(store, name=f"soak-{r}", role=r)[0] for r in ("viewer", "responder")
        }
        for model in REMOTE_MODELS:
            save_reference(store, model=model, body=ref.to_dict(), actor="soak")
    finally:
        store.dispose()
    return {"url": url, "tokens": tokens}


def role(name: str, work: Path, args: argparse.Namespace, *options: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, str(ROLES), *options[:1]]
    command += ["--probe", str(work / f"probe-{name}.jsonl"), "--probe-s", str(args.probe_s)]
    command += ["--warmup-s", str(60 * args.warmup_min), *options[1:]]
    log = (work / f"{name}.log").open("ab")
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=work)


def start(
    work: Path, args: argparse.Namespace, setup: dict[str, Any], procs: dict[str, Any]
) -> None:
    """Every process into ``procs``, the server first (the others once /healthz answers)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve_args = ["serve", "--store", setup["url"], "--port", str(port)]
    serve_args += ["--playbook", str(work / "redline.yaml"), "--log-level", "warning"]
    tm = ["--tracemalloc", str(args.tracemalloc), "--trim-s", str(args.trim_s)]
    procs["server"] = role("server", work, args, "cli", *tm, "--", *serve_args)
    deadline = time.monotonic() + 300  # a loaded machine, or tracemalloc, makes it slow
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).is_success:
                break
        except httpx.TransportError:
            pass
        if procs["server"].poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"redline serve did not start: see {work / 'server.log'}")
        time.sleep(0.1)
    worker = ["worker", "--store", setup["url"], "--playbook", str(work / "redline.yaml")]
    worker += ["--interval", "1", "--log-level", "warning"]
    procs["worker"] = role("worker", work, args, "cli", "--", *worker)
    traffic = ["--reference", str(work / "reference.json"), "--window-s", str(args.window_s)]
    traffic += ["--interval-ms", str(args.interval_ms)]
    for model, phase in REMOTE_MODELS.items():
        drift = [] if phase is None else ["--period-s", "300", "--phase-s", str(phase)]
        spool = work / f"spool-{model}"
        token = ["--token", setup["tokens"]["responder"]]
        procs[f"guard-{model}"] = role(
            f"guard-{model}", work, args, "remote", "--model", model, "--server", base, *token,
            "--spool-dir", str(spool), *traffic, *drift,
        )  # fmt: skip
    procs["embedded"] = role(
        "embedded", work, args, "embedded", "--model", EMBEDDED_MODEL,
        "--store", f"sqlite:///{work / 'embedded.db'}", "--playbook", str(work / "redline.yaml"),
        "--spool-dir", str(work / "spool-embedded"), *traffic, "--period-s", "300",
        "--phase-s", "75",
    )  # fmt: skip
    models = [a for m in REMOTE_MODELS for a in ("--model", m)]
    procs["reader"] = role(
        "reader", work, args, "reader", "--server", base, "--token", setup["tokens"]["viewer"],
        *models, "--pause-s", str(args.pause_s),
    )  # fmt: skip


def proc_sample(pid: int) -> dict[str, float]:
    """RSS, PSS, USS and anonymous memory (kB), threads, open fds, CPU seconds of ``pid``."""
    rollup: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        rollup[name] = int(value.split()[0])
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "rss_kb": rollup["Rss"],
        "pss_kb": rollup["Pss"],
        "uss_kb": rollup["Private_Clean"] + rollup["Private_Dirty"],
        "anon_kb": rollup["Anonymous"],
        "threads": int(stat[17]),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "cpu_s": (int(stat[11]) + int(stat[12])) / ticks,
    }


def store_bytes(work: Path, name: str) -> int:
    return sum(p.stat().st_size for p in work.glob(f"{name}.db*"))


def soak(
    work: Path, args: argparse.Namespace, procs: dict[str, Any], out: Path
) -> list[dict[str, Any]]:
    """Sample every process until the time is up (or a process dies)."""
    rows: list[dict[str, Any]] = []
    died: dict[str, float] = {}
    started = time.monotonic()
    end = started + 60 * args.minutes
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        while True:
            t = time.monotonic() - started
            for name, proc in procs.items():
                if proc.poll() is not None:
                    if name == "server":
                        raise SystemExit(f"the server exited: see {work}/server.log")
                    if name not in died:
                        died[name] = t
                        print(f"{name} exited with {proc.returncode} at {t:.0f} s", flush=True)
                    continue
                row: dict[str, Any] = {"t_s": round(t, 1), "process": name, "pid": proc.pid}
                row |= proc_sample(proc.pid)
                store = "embedded" if name == "embedded" else "server"
                row["store_bytes"] = store_bytes(work, store)
                row["loadavg_1m"] = os.getloadavg()[0]
                writer.writerow(row)
                rows.append(row)
            f.flush()
            if time.monotonic() >= end:
                return rows
            time.sleep(min(args.sample_s, max(0.0, end - time.monotonic())))


def stop(procs: dict[str, Any]) -> dict[str, int | None]:
    """SIGTERM every process, the server last; their exit codes."""
    order = [n for n in procs if n != "server"] + (["server"] if "server" in procs else [])
    codes: dict[str, int | None] = {}
    for name in order:
        proc = procs[name]
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT if name == "server" else signal.SIGTERM)
        try:
            codes[name] = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            codes[name] = proc.wait()
    return codes


def probes(work: Path, names: list[str]) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name in names:
        path = work / f"probe-{name}.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        out[name] = [json.loads(line) for line in lines if line.strip()]
    return out


def counts(db: Path) -> dict[str, int]:
    """Rows per table of a SQLite store: how much the soak made."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        names = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--warmup-min", type=float, default=10.0)
    p.add_argument("--sample-s", type=float, default=15.0)
    p.add_argument("--probe-s", type=float, default=60.0)
    p.add_argument("--window-s", type=float, default=2.0)
    p.add_argument("--interval-ms", type=float, default=5.0)
    p.add_argument("--pause-s", type=float, default=1.0, help="the reader's pause between rounds")
    p.add_argument("--tracemalloc", type=int, default=0, help="frames the server traces (0: off)")
    p.add_argument(
        "--trim-s", type=float, default=0.0, help="the server calls malloc_trim(0) this often"
    )
    p.add_argument("--tag", default="", help="added to the result file names")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    args = p.parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + (f"-{args.tag}" if args.tag else "")
    RESULTS.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="redline-soak-"))
    print(f"working in {work}; results/soak-{stamp}.*", flush=True)
    with receiver() as hook:
        setup = prepare(work, hook)
        procs: dict[str, Any] = {}
        try:
            start(work, args, setup, procs)
            rows = soak(work, args, procs, RESULTS / f"soak-{stamp}.csv")
        finally:
            codes = stop(procs)
        made: dict[str, Any] = {db: counts(work / f"{db}.db") for db in ("server", "embedded")}
        made["pages_received"] = Receiver.pages
    result = {
        "task": "soak_memory",
        "stamp": stamp,
        "args": vars(args),
        "env": {"MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX")},
        "python": sys.version.split()[0],
        "exit_codes": codes,
        "made": made,
        "samples": rows,
        "probes": probes(work, list(procs)),
    }
    (RESULTS / f"soak-{stamp}.json").write_text(json.dumps(result, indent=1))
    from soak_report import summarise, write_markdown  # late: the report can change meanwhile

    result["summary"] = summarise(result)
    (RESULTS / f"soak-{stamp}.json").write_text(json.dumps(result, indent=1))
    md = write_markdown(result)
    (RESULTS / f"soak-{stamp}.md").write_text(md)
    print(md)
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
