"""Dashboard page times on a big store: 10,000 incidents and 100,000 windows.

    .venv/bin/python benchmarks/bench_dashboard.py [--requests 20] [--keep DIR]
    .venv/bin/python benchmarks/bench_dashboard.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

The store is a fresh SQLite file (or, with ``--pg``, a fresh schema on that PostgreSQL server),
migrated to HEAD, then filled with SQLAlchemy core bulk inserts: 10 models with a stored
reference, 10,000 real WindowProfile payloads each (1,000-row windows of 6 features), a drift
signal every 10th window, 10,000 incidents (5% open) each linked to a signal with 3 timeline
events, 2,000 actions, 2,000 review items (500 pending) and route revisions made by the real
action service. The app (``create_app``) serves on 127.0.0.1 under uvicorn in this process; an
httpx client with a viewer's session asks each page ``--requests`` times after one warm-up.
The time is the client's wall time per request over loopback (server time plus well under a
millisecond of HTTP). Prints one ``RESULT {json}`` line and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import insert

import redline
from bench_service import START, store_url
from redline.api import create_app
from redline.api.server import ApiServer
from redline.domain import ActionType
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services import apply_action, open_store
from redline.services.catalog import save_reference
from redline.services.tokens import create_token
from redline.settings import Settings, StoreSettings
from redline.store import IncidentRow, SignalRow, Store, TimelineEventRow, WindowRow
from redline.store.tables_actions import ActionRow
from redline.store.tables_incidents import IncidentSignalRow
from redline.store.tables_labels import ReviewItemRow

MODELS = [f"model-{i:02d}" for i in range(10)]
WINDOWS, INCIDENTS, CHUNK = 100_000, 10_000, 5_000
OPEN_STATUSES = ("triage", "declared", "contained", "monitoring")
ROUTE_CHANGES = ((ActionType.KILL_SWITCH, {}), (ActionType.THRESHOLD_CHANGE, {"threshold": 0.7}))


def reference() -> Reference:
    """Four numeric and two categorical features plus the score, fitted on 20k rows."""
    rng = np.random.default_rng(0)
    return redline.fit_reference(_data(rng, 20_000), prediction="score", window_sizes=[1_000])


def _data(rng: np.random.Generator, n: int, shift: float = 0.0) -> dict[str, Any]:
    columns: dict[str, Any] = {f"num_{i}": rng.normal(shift, 1.0 + i, n) for i in range(4)}
    columns |= {f"cat_{i}": rng.choice([f"c{j}" for j in range(3 + 5 * i)], n) for i in range(2)}
    columns["score"] = columns["num_0"] * 0.5
    return columns


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _bulk(store: Store, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        with store.session() as session:
            session.execute(insert(table.__table__), chunk)


def _windows(ref: Reference) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(1)
    templates = [WindowProfile.of(ref, _data(rng, 1_000, 0.02 * i)).to_dict() for i in range(20)]
    per_model = WINDOWS // len(MODELS)
    for model in MODELS:
        for i in range(per_model):
            start = START + timedelta(minutes=i)
            end = start + timedelta(seconds=59)
            window_id = f"{model}-w{i}"
            payload = dict(templates[i % 20], window_id=window_id)
            payload |= {"start": start.isoformat(), "end": end.isoformat()}
            yield {"id": window_id, "model": model, "start": start, "end": end}
            yield {"payload": payload, "n_rows": 1_000, "created_at": end}


def _signals() -> Iterator[dict[str, Any]]:
    for n in range(WINDOWS // 10):
        model, i = MODELS[n % len(MODELS)], (n // len(MODELS)) * 10
        start = START + timedelta(minutes=i)
        yield {
            "model": model,
            "window_id": f"{model}-w{i}",
            "monitor": "feature_drift",
            "kind": "feature_drift",
            "column": "num_1",
            "statistic": "wasserstein_norm",
            "value": 0.3,
            "threshold": 0.1,
            "level": "alarm",
            "fingerprint": f"{model}:feature_drift:num_1",
            "window_start": start,
            "window_end": start + timedelta(seconds=59),
            "n_rows": 1_000,
            "evidence": {"top_moves": [{"bin": 3, "reference": 0.1, "current": 0.3}]},
            "created_at": start + timedelta(seconds=59),
        }


def _incidents() -> Iterator[dict[str, Any]]:
    for n in range(INCIDENTS):
        detected = START + timedelta(minutes=n)
        status = OPEN_STATUSES[n % 4] if n % 20 == 0 else ("resolved", "closed")[n % 2]
        yield {
            "id": n + 1,
            "key": f"RL-2026-{n + 1:05d}",
            "model": MODELS[n % len(MODELS)],
            "title": f"feature drift in num_1 on {MODELS[n % len(MODELS)]}",
            "category": "feature_drift",
            "severity": ("SEV1", "SEV2", "SEV3")[n % 3],
            "status": status,
            "policy_version": "bench",
            "detected_at": detected,
            "first_signal_at": detected,
            "last_signal_at": detected,
            "postmortem_required": False,
            "evidence_hold": False,
            "created_at": detected,
            "updated_at": detected,
        }


def _links() -> Iterator[dict[str, Any]]:
    for n in range(INCIDENTS):
        yield {"incident_id": n + 1, "signal_id": n + 1, "linked_at": START}


def _timeline() -> Iterator[dict[str, Any]]:
    for n in range(INCIDENTS):
        for seq, kind in enumerate(("opened", "severity_set", "status_changed"), start=1):
            at = START + timedelta(minutes=n, seconds=seq)
            details = {"note": f"bench event {seq}"}
            yield {"incident_id": n + 1, "seq": seq, "at": at, "actor": "system", "kind": kind}
            yield {"details": details, "prev_hash": "0" * 64, "hash": f"{n:032x}{seq:032x}"}


def _pairs(parts: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for head in parts:
        yield head | next(parts)


def _actions() -> Iterator[dict[str, Any]]:
    for n in range(0, INCIDENTS, 5):
        at = START + timedelta(minutes=n, seconds=30)
        yield {
            "incident_id": n + 1,
            "model": MODELS[n % len(MODELS)],
            "type": "kill_switch",
            "status": "verified",
            "params": {},
            "trigger": "policy:bench",
            "idempotency_key": f"bench-{n}",
            "after_state": {"revision": 1},
            "requested_at": at,
            "applied_at": at,
            "verified_at": at,
        }


def _reviews() -> Iterator[dict[str, Any]]:
    for n in range(2_000):
        decided = n >= 500
        yield {
            "model": MODELS[n % len(MODELS)],
            "request_id": f"req-{n}",
            "reason": "low_confidence",
            "confidence": 0.4,
            "threshold": 0.6,
            "input": {"num_0": 0.1 * n, "cat_0": "c1"},
            "output": 1,
            "status": "decided" if decided else "pending",
            "decision": "accept" if decided else None,
            "created_at": START + timedelta(minutes=n),
        }


def seed(url: str) -> tuple[Store, float]:
    """Migrate and fill the store; returns it and the seconds the filling took."""
    started = time.perf_counter()
    store = open_store(url)
    ref = reference()
    for model in MODELS:
        save_reference(store, model=model, body=ref.to_dict(), actor="bench")
    _bulk(store, WindowRow, _pairs(_windows(ref)))
    _bulk(store, SignalRow, _signals())
    _bulk(store, IncidentRow, _incidents())
    _bulk(store, IncidentSignalRow, _links())
    _bulk(store, TimelineEventRow, _pairs(_timeline()))
    _bulk(store, ActionRow, _actions())
    _bulk(store, ReviewItemRow, _reviews())
    for model in MODELS:
        for kind, params in ROUTE_CHANGES:
            apply_action(store, model=model, type=kind, params=params, trigger="bench")
    return store, time.perf_counter() - started


PAGES = {
    "overview": "/",
    "model": f"/models/{MODELS[3]}",
    "incident, newest": "/incidents/RL-2026-09991",
    "incident, 1,000+ windows after its last signal": "/incidents/RL-2026-00021",
    "review queue": "/review",
    "incident list, filtered": f"/incidents?model={MODELS[1]}&severity=SEV2&status=resolved",
    "incident list, open only": "/incidents?open=1&limit=100",
}


def time_pages(base: str, token: str, requests: int) -> dict[str, dict[str, float]]:
    """Median and p95 milliseconds of ``requests`` GETs per page, after one warm-up each."""
    out = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        if client.post("/login", data={"token": token}).status_code != 303:
            raise SystemExit("the viewer token was refused at /login")
        for name, path in PAGES.items():
            client.get(path).raise_for_status()
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(path)
                times.append(1000 * (time.perf_counter() - started))
                if response.status_code != 200:
                    raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            out[name] = {
                "median_ms": statistics.median(times),
                "p95_ms": p95,
                "bytes": len(response.content),
            }
    return out


@contextmanager
def _url(pg: str | None, db: str | None) -> Iterator[str]:
    if db is None:
        with store_url(pg) as url:
            yield url
    else:
        yield f"sqlite:///{Path(db).resolve()}"


def main() -> None:
    """Seed, serve, time, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pg", help="a PostgreSQL server URL (a fresh schema is used)")
    parser.add_argument("--db", help="a SQLite file to seed once and reuse (for profiling)")
    args = parser.parse_args()
    with _url(args.pg, args.db) as url:
        reuse = args.db is not None and Path(args.db).exists()
        store, seconds = (open_store(url), 0.0) if reuse else seed(url)
        print(f"seeded in {seconds:.0f} s", file=sys.stderr)
        token, _ = create_token(store, name="bench-viewer", role="viewer")
        app = create_app(Settings(store=StoreSettings(url=url)), store=store)
        server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
        try:
            pages = time_pages(server.url, token, args.requests)
        finally:
            server.stop()
            store.dispose()
    backend = "postgresql" if args.pg else "sqlite"
    result = {
        "backend": backend,
        "seed_s": round(seconds, 1),
        "requests": args.requests,
        "pages": pages,
    }
    print("RESULT " + json.dumps(result))
    print(
        f"\n{backend}: {INCIDENTS:,} incidents, {WINDOWS:,} windows (seeded in {seconds:.0f} s)\n"
    )
    print("| page | median ms | p95 ms | goal |\n| --- | --- | --- | --- |")
    for name, t in pages.items():
        verdict = "ok" if t["p95_ms"] < 300 else "over"
        print(f"| {name} | {t['median_ms']:.1f} | {t['p95_ms']:.1f} | < 300 ms: {verdict} |")


if __name__ == "__main__":
    main()
