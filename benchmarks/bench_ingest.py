"""Service mode at scale: window ingest from several client processes into one `redline serve`
process (windows/s, p50/p99 per request), inline or store-only, JSON or gzip'd JSON; and the
rate at which `redline worker`-style processes respond to the stored backlog (windows/s each).

    .venv/bin/python benchmarks/bench_ingest.py                          # SQLite
    .venv/bin/python benchmarks/bench_ingest.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/bench_ingest.py --clients 4 --windows 200 --batch 20 \
        --evaluate inline,worker --encodings json,gzip --workers 1,2 [--server-src /tmp/before/src]

Each client process posts ``--windows`` new 1,000-row, 25-feature windows of its own model in
requests of ``--batch`` windows, one request after another (bodies built, and gzip'd, before the
clock starts); all clients start together. The store is a fresh SQLite file or a fresh schema on
that PostgreSQL server per configuration, with the reference of every model stored. Workers:
``clients × windows`` windows are stored unevaluated (through ``services.store_windows``), then
N processes claim and respond (``services.respond_to_windows``, batches of 50) until none are
left. Prints one ``RESULT {json}`` line and a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bench_service import START, percentile, reference, serve, store_url, window_templates

MODEL = "bench"


def _window(template: dict[str, Any], window_id: str, i: int) -> dict[str, Any]:
    start = START + timedelta(minutes=i)
    end = start + timedelta(seconds=59)
    return dict(template, window_id=window_id, start=start.isoformat(), end=end.isoformat())


def _bodies(
    templates: list[dict[str, Any]], *, tag: str, windows: int, batch: int, encoding: str
) -> list[bytes]:
    out = []
    for first in range(0, windows, batch):
        items = [
            {"window": _window(templates[i % len(templates)], f"{tag}-{i}", i)}
            for i in range(first, min(first + batch, windows))
        ]
        body = json.dumps({"windows": items}, separators=(",", ":")).encode()
        out.append(gzip.compress(body, 1) if encoding == "gzip" else body)
    return out


def client(
    base: str,
    token: str,
    model: str,
    templates: list[dict[str, Any]],
    options: dict[str, Any],
    ready: Any,
    results: Any,
) -> None:
    """One client process: build its bodies, wait for the others, post them in sequence."""
    encoding, batch = options["encoding"], options["batch"]
    bodies = _bodies(
        templates, tag=options["tag"], windows=options["windows"], batch=batch, encoding=encoding
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if encoding == "gzip":
        headers["Content-Encoding"] = "gzip"
    url = f"/api/v1/models/{model}/windows"
    latencies, created, cpu, error = [], 0, time.process_time(), None
    with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
        ready.wait()
        try:
            for body in bodies:
                started = time.perf_counter()
                response = http.post(url, content=body)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                created += int(response.json()["created"])
        except httpx.HTTPStatusError as exc:  # reported by the parent, which would wait forever
            error = f"{exc!r}: {exc.response.text[:300]}"
        except httpx.HTTPError as exc:
            error = repr(exc)
    finished = time.perf_counter()
    results.put(
        {
            "latencies": latencies,
            "created": created,
            "finished": finished,
            "bytes": statistics.median(len(b) for b in bodies),
            "client_cpu_s": time.process_time() - cpu,
            "error": error,
        }
    )


def _prepare(url: str, models: list[str]) -> tuple[list[dict[str, Any]], str]:
    from redline.services import open_store
    from redline.services.catalog import save_reference
    from redline.services.tokens import create_token

    ref = reference()
    templates = window_templates(ref, 10)
    store = open_store(url)
    try:
        token = create_token(store, name="bench-responder", role="responder")[0]
        for model in models:
            save_reference(store, model=model, body=ref.to_dict(), actor="bench")
    finally:
        store.dispose()
    return templates, token


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingest(args: argparse.Namespace, url: str, *, evaluate: str, encoding: str) -> dict[str, Any]:
    """Windows/s and per-request latency with ``args.clients`` client processes."""
    models = [f"{MODEL}-{c}" for c in range(args.clients)]
    templates, token = _prepare(url, models)
    ctx = mp.get_context("spawn")
    ready, results = ctx.Barrier(args.clients + 1), ctx.Queue()
    env = {"REDLINE_API__EVALUATE": evaluate}
    pids: list[int] = []
    with serve(url, args.server_src, env=env, pids=pids) as base:
        options = {"batch": args.batch, "windows": args.windows, "encoding": encoding}
        procs = [
            ctx.Process(
                target=client,
                args=(base, token, m, templates, {**options, "tag": m}, ready, results),
            )
            for m in models
        ]
        for proc in procs:
            proc.start()
        ready.wait()
        started, server_cpu = time.perf_counter(), cpu_s(pids[0])
        outs = [results.get(timeout=1800) for _ in procs]
        server_cpu = cpu_s(pids[0]) - server_cpu
        for proc in procs:
            proc.join()
    errors = [o["error"] for o in outs if o["error"]]
    if errors:
        raise SystemExit(f"{len(errors)} client(s) failed: {errors}")
    elapsed = max(o["finished"] for o in outs) - started
    latencies = [x for o in outs for x in o["latencies"]]
    created = sum(o["created"] for o in outs)
    if created != args.clients * args.windows:
        raise SystemExit(f"{created} of {args.clients * args.windows} windows were created")
    return {
        "windows_per_s": created / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies),
        "server_cpu_ms_per_window": 1000 * server_cpu / created,
        "client_cpu_ms_per_window": 1000 * sum(o["client_cpu_s"] for o in outs) / created,
        "body_bytes": statistics.median(o["bytes"] for o in outs),
        "requests": len(latencies),
    }


def request_cpu(
    args: argparse.Namespace, url: str, *, evaluate: str, encoding: str
) -> dict[str, Any]:
    """CPU ms per window of the whole request path (ASGI app, in this process, no sockets)."""
    from fastapi.testclient import TestClient

    from redline.api import create_app
    from redline.settings import ApiSettings, Settings, StoreSettings

    templates, token = _prepare(url, [MODEL])
    settings = Settings(store=StoreSettings(url=url), api=ApiSettings(evaluate=evaluate))
    bodies = _bodies(
        templates, tag=MODEL, windows=args.windows, batch=args.batch, encoding=encoding
    )
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if encoding == "gzip":
        headers["Content-Encoding"] = "gzip"
    url_path = f"/api/v1/models/{MODEL}/windows"
    with TestClient(create_app(settings)) as http:
        http.post(url_path, content=bodies[0], headers=headers).raise_for_status()  # warm-up
        if args.gc_freeze:  # as `redline serve` does once started
            gc.freeze()
        cpu = time.process_time()
        for body in bodies[1:]:
            http.post(url_path, content=body, headers=headers).raise_for_status()
        cpu = time.process_time() - cpu
    return {"cpu_ms_per_window": 1000 * cpu / (args.windows - args.batch)}


def worker(url: str, ready: Any, results: Any) -> None:
    """One worker process: claim and respond until no window is left unevaluated."""
    from redline.services import open_store
    from redline.services.ingest import respond_to_windows
    from redline.services.response import ResponsePlan

    store, plan = open_store(url), ResponsePlan()
    done, idle = 0, 0
    ready.wait()
    cpu = time.process_time()
    while idle < 20:  # other workers may hold the last models: look again a few times
        claimed = respond_to_windows(store, plan=plan, batch=50)
        done += len(claimed)
        idle = 0 if claimed else idle + 1
        if not claimed:
            time.sleep(0.01)
    results.put({"windows": done, "cpu_s": time.process_time() - cpu})
    store.dispose()


def _store_backlog(url: str, models: list[str], per_model: int) -> int:
    from redline.api.ingest import closed_window
    from redline.api.schemas import WindowBatchCreate
    from redline.services import open_store
    from redline.services.ingest import store_windows

    templates, _ = _prepare(url, models)
    store = open_store(url)
    try:
        for model in models:
            for first in range(0, per_model, 50):
                items = [
                    {"window": _window(templates[i % len(templates)], f"{model}-{i}", i)}
                    for i in range(first, min(first + 50, per_model))
                ]
                body = WindowBatchCreate.model_validate({"windows": items})
                closed = [closed_window(model, item) for item in body.windows]
                store_windows(store, closed, judge=False)  # as store-only ingest leaves them
    finally:
        store.dispose()
    return len(models) * per_model


def workers(args: argparse.Namespace, url: str, count: int) -> dict[str, Any]:
    """Windows/s per worker process responding to a stored backlog of several models."""
    models = [f"{MODEL}-{c}" for c in range(max(args.clients, count))]
    total = _store_backlog(url, models, args.windows * args.clients // len(models))
    ctx = mp.get_context("spawn")
    ready, results = ctx.Barrier(count + 1), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(url, ready, results)) for _ in range(count)]
    for proc in procs:
        proc.start()
    ready.wait()
    started = time.perf_counter()
    outs = [results.get(timeout=1800) for _ in procs]
    elapsed = time.perf_counter() - started
    for proc in procs:
        proc.join()
    done = sum(o["windows"] for o in outs)
    if done != total:
        raise SystemExit(f"workers responded to {done} of {total} windows")
    return {
        "workers": count,
        "windows_per_s": done / elapsed,
        "windows_per_s_each": done / elapsed / count,
        "cpu_ms_per_window": 1000 * sum(o["cpu_s"] for o in outs) / done,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"task": "ingest", "backend": "postgresql" if args.pg else "sqlite"}
    for evaluate in [e for e in args.evaluate.split(",") if e]:  # '' for workers only
        for encoding in [e for e in args.encodings.split(",") if e]:
            if args.inproc:
                with store_url(args.pg) as url:
                    key = f"request_{evaluate}_{encoding}"
                    result[key] = request_cpu(args, url, evaluate=evaluate, encoding=encoding)
                    print(key, json.dumps(result[key]), file=sys.stderr, flush=True)
                continue
            with store_url(args.pg) as url:
                key = f"ingest_{evaluate}_{encoding}"
                result[key] = ingest(args, url, evaluate=evaluate, encoding=encoding)
                print(key, json.dumps(result[key]), file=sys.stderr, flush=True)
    for count in [int(c) for c in args.workers.split(",") if c]:
        with store_url(args.pg) as url:
            result[f"workers_{count}"] = workers(args, url, count)
            print(count, json.dumps(result[f"workers_{count}"]), file=sys.stderr, flush=True)
    return result


def _table(result: dict[str, Any], args: argparse.Namespace) -> None:
    backend = result["backend"]
    print("| what | windows/s | p50 / p99 per request | goal |")
    print("| --- | --- | --- | --- |")
    for key, r in result.items():
        if key.startswith("ingest_"):
            _, evaluate, encoding = key.split("_")
            print(
                f"| ingest, {args.clients} clients, batches of {args.batch}, {evaluate}, "
                f"{encoding} ({backend}, {r['body_bytes'] / 1024:.0f} KiB per request) | "
                f"{r['windows_per_s']:,.0f} ({r['server_cpu_ms_per_window']:.1f} ms server CPU "
                f"per window) | {r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms | "
                "≥ 500 windows/s, p99 ≤ 1 s |"
            )
        elif key.startswith("request_"):
            _, evaluate, encoding = key.split("_")
            print(
                f"| request path in-process, batches of {args.batch}, {evaluate}, {encoding} "
                f"({backend}) | {r['cpu_ms_per_window']:.2f} ms CPU per window | – | ≤ 2 ms |"
            )
        elif key.startswith("workers_"):
            print(
                f"| {r['workers']} worker(s) responding ({backend}) | "
                f"{r['windows_per_s']:,.0f} ({r['windows_per_s_each']:,.0f} each, "
                f"{r['cpu_ms_per_window']:.1f} ms CPU per window) | – | ≥ 200 windows/s each |"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pg", help="a PostgreSQL server URL: run on a fresh schema there")
    p.add_argument("--clients", type=int, default=4, help="client processes (one model each)")
    p.add_argument("--windows", type=int, default=200, help="windows each client posts")
    p.add_argument("--batch", type=int, default=20, help="windows per request")
    p.add_argument("--evaluate", default="inline,worker", help="api.evaluate values to run")
    p.add_argument("--encodings", default="json,gzip", help="request encodings to run")
    p.add_argument("--workers", default="1,2", help="worker process counts to run ('' for none)")
    p.add_argument(
        "--inproc",
        action="store_true",
        help="instead of clients and a server: CPU per window of the app in this process",
    )
    p.add_argument(
        "--gc-freeze",
        action="store_true",
        help="--inproc: freeze the garbage collector after start-up, as `redline serve` does",
    )
    p.add_argument("--server-src", help="a source tree the server imports redline from instead")
    p.add_argument("--output", help="write the JSON result here as well")
    args = p.parse_args()
    result = run(args) | {
        "clients": args.clients,
        "windows": args.windows,
        "batch": args.batch,
        "features": 25,
        "loadavg": os.getloadavg(),
        "python": sys.version.split()[0],
        "server_src": args.server_src,
        "gc_freeze": args.gc_freeze,
    }
    print("RESULT " + json.dumps(result))
    print()
    _table(result, args)
    if args.output:
        Path(args.output).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
