"""Service mode: window ingest through the REST API (windows/s) and RouteState propagation to a
remote Guard (p50/p99), against one `redline serve` process on 127.0.0.1.

    .venv/bin/python benchmarks/bench_service.py [--windows 400] [--trials 100]
    .venv/bin/python benchmarks/bench_service.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/bench_service.py --trials 0 --server-src /tmp/before/src  # ingest only,
        # served by another source tree (PYTHONPATH of the server) to compare two versions in one run

The store is a fresh SQLite file in a temporary directory, or (``--pg``) a fresh schema on that
PostgreSQL server, dropped afterwards. Prints one ``RESULT {json}`` line and a markdown table;
writes nothing else unless ``--output``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import create_engine, make_url

import redline
from redline.domain import ActionType
from redline.guard import GuardEngine as Guard
from redline.guard import RemoteRouteSource
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services import apply_action, open_store
from redline.services.catalog import save_reference
from redline.services.tokens import create_token

MODEL = "bench"
START = datetime(2026, 11, 2, tzinfo=UTC)


def data(rng: np.random.Generator, n: int, shift: float = 0.0) -> dict[str, Any]:
    """20 numeric and 5 categorical features, plus the model's score."""
    columns: dict[str, Any] = {
        f"num_{i:02d}": rng.normal(shift, 1.0 + i / 10, n) for i in range(20)
    }
    for i in range(5):
        columns[f"cat_{i:02d}"] = rng.choice([f"c{j}" for j in range(3 + 10 * i)], n)
    columns["score"] = columns["num_00"] * 0.5
    return columns


def reference() -> Reference:
    """A 25-feature reference fitted on 20k rows."""
    rng = np.random.default_rng(0)
    return redline.fit_reference(data(rng, 20_000), prediction="score", window_sizes=[1_000])


def window_templates(ref: Reference, count: int) -> list[dict[str, Any]]:
    """``WindowProfile.to_dict()`` of ``count`` 1,000-row windows (the ids are replaced later)."""
    rng = np.random.default_rng(1)
    out = []
    for i in range(count):
        window = WindowProfile.of(ref, data(rng, 1_000, shift=0.05 * i), window_id=f"t{i}")
        window.routes = {"primary": 1_000}
        out.append(window.to_dict())
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    url: str,
    server_src: str | None = None,
    env: dict[str, str] | None = None,
    pids: list[int] | None = None,
) -> Iterator[str]:
    """`redline serve` on ``url`` in a process of its own (``server_src`` first on its path,
    ``env`` added to its environment, its pid appended to ``pids``)."""
    port = free_port()
    script = Path(sys.executable).parent / "redline"
    command = [str(script), "serve", "--store", url, "--port", str(port), "--log-level", "warning"]
    base = f"http://127.0.0.1:{port}"
    environ = dict(os.environ) | (env or {})
    if server_src:
        paths = [server_src, environ.get("PYTHONPATH")]
        environ["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, env=environ) as process:
        if pids is not None:
            pids.append(process.pid)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).is_success:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("redline serve did not start")
                time.sleep(0.05)
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)


def ingest_rate(
    base: str, token: str, templates: list[dict[str, Any]], *, batch: int, windows: int, tag: str
) -> dict[str, float]:
    """Windows/s posting ``windows`` new windows in batches of ``batch``, one client, in sequence."""
    bodies = []
    for first in range(0, windows, batch):
        items = []
        for i in range(first, min(first + batch, windows)):
            window = dict(templates[i % len(templates)], window_id=f"{tag}-{i}")
            start = START + timedelta(minutes=i)
            window["start"], window["end"] = (
                start.isoformat(),
                (start + timedelta(seconds=59)).isoformat(),
            )
            items.append({"window": window})
        bodies.append(json.dumps({"windows": items}).encode())
    url = f"/api/v1/models/{MODEL}/windows"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        client.post(url, content=bodies[0]).raise_for_status()  # warm up (counts as stored)
        started = time.perf_counter()
        created = 0
        for body in bodies[1:]:
            response = client.post(url, content=body)
            response.raise_for_status()
            created += int(response.json()["created"])
        elapsed = time.perf_counter() - started
    sent = windows - min(batch, windows)
    if created != sent:
        raise SystemExit(f"{created} of {sent} windows were created")
    return {
        "windows_per_s": sent / elapsed,
        "ms_per_request": 1000 * elapsed / (len(bodies) - 1),
        "body_bytes": float(statistics.median(len(b) for b in bodies)),
    }


@contextmanager
def reads_alongside(base: str, token: str, *, on: bool) -> Iterator[list[float]]:
    """Seconds per ``GET /incidents`` (a view on the incidents table) while the block runs."""
    seconds: list[float] = []
    stop = threading.Event()
    if not on:
        yield seconds
        return

    def read() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            while not stop.is_set():
                started = time.perf_counter()
                client.get("/api/v1/incidents", params={"model": MODEL}).raise_for_status()
                seconds.append(time.perf_counter() - started)
                stop.wait(0.02)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield seconds
    finally:
        stop.set()
        thread.join(timeout=60)


def propagation(
    base: str, tokens: dict[str, str], store: Any, ref: Reference, *, trials: int, via: str
) -> list[float]:
    """Seconds from a route change to the remote Guard serving under it, per trial."""
    source = RemoteRouteSource(base, token=tokens["viewer"], model=MODEL)
    guard = Guard(
        model=MODEL, predict=lambda row: 0.0, reference=ref, window_s=3600, route_source=source
    )
    headers = {"Authorization": f"Bearer {tokens['responder']}"}
    out = []
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            deadline = time.monotonic() + 30
            while source() is None or guard.route.revision < source.revision:
                if time.monotonic() > deadline:
                    raise SystemExit("the remote Guard never received a route")
                time.sleep(0.01)
            for trial in range(trials):
                target = guard.route.revision + 1
                params = {"threshold": round(0.5 + (trial % 2) * 0.1 + trial * 1e-4, 6)}
                time.sleep(0.05 + 0.25 * (trial % 4) / 4)  # land at varied points of the polls
                if via == "api":
                    started = time.perf_counter()  # the commit happens inside this request
                    client.post(
                        f"/api/v1/models/{MODEL}/actions",
                        json={"type": "threshold_change", "params": params},
                    ).raise_for_status()
                else:
                    apply_action(
                        store,
                        model=MODEL,
                        type=ActionType.THRESHOLD_CHANGE,
                        params=params,
                        trigger="bench",
                    )
                    started = time.perf_counter()  # committed by another process than the server
                while guard.route.revision < target:
                    if time.perf_counter() - started > 30:
                        raise SystemExit(f"trial {trial}: the route never reached the Guard")
                    time.sleep(0.001)
                out.append(time.perf_counter() - started)
    finally:
        guard.close()
        source.close(timeout_s=source.wait_s + 5)  # let its long-poll end before the server stops
    return out


@contextmanager
def store_url(pg: str | None) -> Iterator[str]:
    """A fresh SQLite file, or a fresh schema on the PostgreSQL server ``pg``."""
    if pg is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{os.path.join(tmp, 'bench.db')}"
        return
    server = make_url(pg)
    schema = f"bench_service_{secrets.token_hex(4)}"
    admin = create_engine(server)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = server.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(args: argparse.Namespace, url: str) -> dict[str, Any]:
    ref = reference()
    templates = window_templates(ref, 10)
    store = open_store(url)
    tokens = {r: create_token(store, name=f"bench-{r}", role=r)[0] for r in ("viewer", "responder")}
    save_reference(store, model=MODEL, body=ref.to_dict(), actor="bench")
    result: dict[str, Any] = {"task": "service", "backend": make_url(url).get_backend_name()}
    try:
        with serve(url, args.server_src) as base:
            for batch in (1, 20):
                with reads_alongside(base, tokens["viewer"], on=args.reads) as reads:
                    rate = ingest_rate(
                        base,
                        tokens["responder"],
                        templates,
                        batch=batch,
                        windows=args.windows,
                        tag=f"b{batch}",
                    )
                if reads:
                    rate["read_p50_ms"] = 1000 * statistics.median(reads)
                    rate["read_p99_ms"] = 1000 * percentile(reads, 0.99)
                result[f"ingest_batch{batch}"] = rate
            for via in ("api", "store") if args.trials else ():
                seconds = propagation(base, tokens, store, ref, trials=args.trials, via=via)
                result[f"route_{via}"] = {
                    "p50_s": statistics.median(seconds),
                    "p99_s": percentile(seconds, 0.99),
                    "max_s": max(seconds),
                }
    finally:
        store.dispose()
    return result


def _reads(rate: dict[str, float]) -> str:
    if "read_p50_ms" not in rate:
        return ""
    return f"; GET /incidents p50 {rate['read_p50_ms']:.0f} ms, p99 {rate['read_p99_ms']:.0f} ms"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--windows", type=int, default=400, help="windows posted per batch size")
    p.add_argument("--trials", type=int, default=100, help="route changes per path")
    p.add_argument("--pg", help="a PostgreSQL server URL: run on a fresh schema there")
    p.add_argument(
        "--reads", action="store_true", help="time GET /incidents in a loop during each ingest"
    )
    p.add_argument("--server-src", help="a source tree the server imports redline from instead")
    p.add_argument("--output", help="write the JSON result here as well")
    args = p.parse_args()
    with store_url(args.pg) as url:
        result = run(args, url)
    result |= {
        "windows": args.windows,
        "trials": args.trials,
        "features": 25,
        "loadavg": os.getloadavg(),
        "python": sys.version.split()[0],
        "server_src": args.server_src,
        "reads": args.reads,
    }
    print("RESULT " + json.dumps(result))
    print()
    backend = result["backend"]
    print("| what | result | goal |")
    print("| --- | --- | --- |")
    for batch in (1, 20):
        r = result[f"ingest_batch{batch}"]
        print(
            f"| window ingest through the API, batches of {batch} ({backend}, 25 features, "
            f"{r['body_bytes'] / 1024:.0f} KiB per request) | {r['windows_per_s']:,.0f} windows/s "
            f"({r['ms_per_request']:.1f} ms per request{_reads(r)}) | – |"
        )
    for via, what in (
        ("api", "action POSTed to the API"),
        ("store", "change committed by another process"),
    )[: 2 if args.trials else 0]:
        r = result[f"route_{via}"]
        print(
            f"| RouteState → remote Guard, {what} ({backend}), {args.trials} trials | "
            f"p50 {r['p50_s']:.3f} s, p99 {r['p99_s']:.3f} s (max {r['max_s']:.3f} s) | ≤ 2 s |"
        )
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
