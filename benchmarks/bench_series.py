"""Time series over a week of one-minute windows: the JSON endpoint and the model page's charts.

    .venv/bin/python benchmarks/bench_series.py [--requests 20] [--pg postgresql+psycopg://...]
        [--without-summaries]

The store is a fresh SQLite file (or, with ``--pg``, a fresh schema on that PostgreSQL server)
holding one model with a stored reference and 10,080 one-minute windows (a week): real
WindowProfile payloads of 1,000 rows and 6 features with latency, routes and 3 sources, each
with the per-column results the ingest path stores (``results_of``). The app serves on
127.0.0.1 under uvicorn in this process; an httpx client asks each URL ``--requests`` times.

Two numbers per URL: the first request after the server starts (each window's few numbers are
read once from the summary stored with it, or with ``--without-summaries``, as for windows
stored before 0011, out of its payload in SQL) and the median / p95 of the requests after it (an index
read of the range plus windows not seen before), each as wall time and as this process's CPU
time (server and client run here: on a busy machine CPU time is the steadier number). Prints
``RESULT {json}`` and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import numpy as np

from bench_dashboard import _bulk, _data, reference
from bench_service import START, store_url
from redline.api import create_app
from redline.api.server import ApiServer
from redline.guard.sinks import ClosedWindow
from redline.profiles.reference import Reference
from redline.profiles.sketches import LogHistogram
from redline.profiles.window import WindowProfile
from redline.services import open_store
from redline.services.catalog import save_reference
from redline.services.tokens import create_token
from redline.services.window_points import window_summary_in
from redline.services.window_results import results_of
from redline.settings import Settings, StoreSettings
from redline.store import Store, WindowRow

MODEL = "weekly"
WINDOWS = 7 * 24 * 60
TEMPLATES = 24
URLS = {
    "series: one drift statistic, week, 720 buckets": (
        f"/api/v1/models/{MODEL}/series?metric=drift:num_1&range=week&buckets=720"
    ),
    "series: 8 metrics, week, 240 buckets": (
        f"/api/v1/models/{MODEL}/series?range=week&metric=rows&metric=errors"
        "&metric=latency_p50&metric=latency_p99&metric=prediction_mean&metric=prediction_p90"
        "&metric=route:primary&metric=source:s0"
    ),
    "series: one drift statistic, last hour": (
        f"/api/v1/models/{MODEL}/series?metric=drift:num_1&range=hour"
    ),
    "model page, last week (every chart)": f"/models/{MODEL}?range=week",
    "model page, last day": f"/models/{MODEL}?range=day",
}


def _templates(store: Store, ref: Reference, *, summaries: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(1)
    out = []
    for i in range(TEMPLATES):
        window = WindowProfile.of(ref, _data(rng, 1_000, 0.03 * i))
        window.latency_ms = LogHistogram().add(rng.lognormal(3.0, 0.4, 1_000))
        window.routes = {"primary": 900, "shadow": 100}
        window.sources.add_counts({"s0": 600, "s1": 300 + i, "s2": 100})
        results = results_of(ClosedWindow(MODEL, window), ref).to_document()
        payload = window.to_dict()
        summary = None
        if summaries:  # as the ingest path stores it
            with store.reading() as session:
                summary = window_summary_in(session, model=MODEL, payload=payload, results=results)
        out.append({"payload": payload, "results": results, "summary": summary})
    return out


def _windows(store: Store, ref: Reference, *, summaries: bool) -> Iterator[dict[str, Any]]:
    templates = _templates(store, ref, summaries=summaries)
    for i in range(WINDOWS):
        start = START + timedelta(minutes=i)
        end = start + timedelta(seconds=59)
        template = templates[i % TEMPLATES]
        window_id = f"{MODEL}-w{i}"
        payload = dict(template["payload"], window_id=window_id)
        payload |= {"start": start.isoformat(), "end": end.isoformat()}
        yield {
            "id": window_id,
            "model": MODEL,
            "start": start,
            "end": end,
            "n_rows": 1_000,
            "payload": payload,
            "results": template["results"],
            "summary": template["summary"],
            "created_at": end,
            "evaluated_at": end,
        }


def time_urls(base: str, token: str, requests: int) -> dict[str, dict[str, float]]:
    """First, median and p95 milliseconds of ``requests`` GETs per URL."""
    out = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        if client.post("/login", data={"token": token}).status_code != 303:
            raise SystemExit("the viewer token was refused at /login")
        headers = {"Authorization": f"Bearer {token}"}
        for name, path in URLS.items():
            times, cpu = [], []
            for _ in range(requests + 1):
                started, used = time.perf_counter(), time.process_time()
                response = client.get(path, headers=headers)
                times.append(1000 * (time.perf_counter() - started))
                cpu.append(1000 * (time.process_time() - used))
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
            first, rest = times[0], sorted(times[1:])
            out[name] = {
                "first_ms": first,
                "median_ms": statistics.median(rest),
                "p95_ms": rest[min(len(rest) - 1, round(0.95 * (len(rest) - 1)))],
                "first_cpu_ms": cpu[0],
                "median_cpu_ms": statistics.median(cpu[1:]),
                "bytes": len(response.content),
            }
    return out


def main() -> None:
    """Seed, serve, time, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pg", help="a PostgreSQL server URL (a fresh schema is used)")
    parser.add_argument(
        "--without-summaries",
        action="store_true",
        help="store the windows without summaries, as before 0011 (read off their payloads)",
    )
    args = parser.parse_args()
    with store_url(args.pg) as url:
        started = time.perf_counter()
        store = open_store(url)
        ref = reference()
        save_reference(store, model=MODEL, body=ref.to_dict(), actor="bench")
        summaries = not args.without_summaries
        _bulk(store, WindowRow, _windows(store, ref, summaries=summaries))
        seconds = time.perf_counter() - started
        print(f"seeded in {seconds:.0f} s", file=sys.stderr)
        token, _ = create_token(store, name="bench-viewer", role="viewer")
        app = create_app(Settings(store=StoreSettings(url=url)), store=store)
        server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
        try:
            urls = time_urls(server.url, token, args.requests)
        finally:
            server.stop()
            store.dispose()
    backend = "postgresql" if args.pg else "sqlite"
    load = round(os.getloadavg()[0], 1)
    result = {
        "backend": backend,
        "windows": WINDOWS,
        "summaries": not args.without_summaries,
        "requests": args.requests,
        "load_average": load,
        "urls": urls,
    }
    print("RESULT " + json.dumps(result))
    stored = "" if args.without_summaries else ", with summaries"
    print(f"\n{backend}: {WINDOWS:,} one-minute windows of one model{stored}, load {load}\n")
    print("| request | first ms (CPU) | median ms (CPU) | p95 ms | goal |")
    print("| --- | --- | --- | --- | --- |")
    for name, t in urls.items():
        goal = 200 if name.startswith("series") else 300
        verdict = "ok" if t["median_ms"] < goal else "over"
        print(
            f"| {name} | {t['first_ms']:.0f} ({t['first_cpu_ms']:.0f}) "
            f"| {t['median_ms']:.1f} ({t['median_cpu_ms']:.1f}) | {t['p95_ms']:.1f} "
            f"| median < {goal} ms: {verdict} |"
        )


if __name__ == "__main__":
    main()
