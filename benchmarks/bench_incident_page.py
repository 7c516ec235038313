"""A long incident's page and API: thousands of linked signals and timeline events.

    .venv/bin/python benchmarks/bench_incident_page.py [--signals 3000] [--events 1000]

A drift that keeps coming back reopens the same incident, so its signals and timeline grow
with time (a one-hour soak gathered 299 signals and 129 events on one incident). The store is
a fresh SQLite file: one declared incident, ``--signals`` drift signals linked to it (bulk
inserts, four columns), and ``--events`` notes added through the real service (a sealed hash
chain). It times ``get_incident_view`` in-process, then serves ``create_app`` on 127.0.0.1 and
asks the dashboard page and ``GET /api/v1/incidents/{key}`` ``--requests`` times each after a
warm-up, with a viewer's session. Prints one ``RESULT {json}`` line and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bench_dashboard import MODELS, START, _bulk, reference
from redline.api import create_app
from redline.api.server import ApiServer
from redline.services import open_store
from redline.services.catalog import save_reference
from redline.services.notes import add_note
from redline.services.tokens import create_token
from redline.services.views import get_incident_view
from redline.settings import Settings, StoreSettings
from redline.store import IncidentRow, SignalRow, Store
from redline.store.tables_incidents import IncidentSignalRow

KEY = "RL-2026-00001"


def _incident() -> Iterator[dict[str, Any]]:
    yield {
        "id": 1,
        "key": KEY,
        "model": MODELS[0],
        "title": "feature drift that keeps coming back",
        "category": "feature_drift",
        "severity": "SEV2",
        "status": "declared",
        "policy_version": "bench",
        "detected_at": START,
        "first_signal_at": START,
        "last_signal_at": START,
        "postmortem_required": False,
        "evidence_hold": False,
        "created_at": START,
        "updated_at": START,
    }


def _signals(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        start = START + timedelta(minutes=i)
        yield {
            "model": MODELS[0],
            "monitor": "feature_drift",
            "kind": "feature_drift",
            "column": f"num_{i % 4}",
            "statistic": "wasserstein_norm",
            "value": 0.2 + (i % 7) / 10,
            "threshold": 0.1,
            "level": "alarm",
            "fingerprint": f"{MODELS[0]}:num_{i % 4}",
            "window_start": start,
            "window_end": start + timedelta(seconds=59),
            "n_rows": 1_000,
            "evidence": {"top_moves": [{"bin": 3, "reference": 0.1, "current": 0.3}]},
            "created_at": start + timedelta(seconds=59),
        }


def seed(store: Store, *, signals: int, events: int) -> None:
    """One incident with ``signals`` linked signals and ``events`` notes on its timeline."""
    save_reference(store, model=MODELS[0], body=reference().to_dict(), actor="bench")
    _bulk(store, IncidentRow, _incident())
    _bulk(store, SignalRow, _signals(signals))
    links = ({"incident_id": 1, "signal_id": i + 1, "linked_at": START} for i in range(signals))
    _bulk(store, IncidentSignalRow, links)
    for i in range(events):
        add_note(store, key=KEY, text=f"note {i}", actor="bench")


def _median_ms(call: Any, requests: int) -> float:
    call()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def main() -> None:
    """Seed, time the view, serve, time the page and the API, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=3_000)
    parser.add_argument("--events", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'incident.db'}"
        store = open_store(url)
        seed(store, signals=args.signals, events=args.events)
        view_ms = _median_ms(lambda: get_incident_view(store, key=KEY), args.requests)
        token, _ = create_token(store, name="bench-viewer", role="viewer")
        app = create_app(Settings(store=StoreSettings(url=url)), store=store)
        server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
        sizes: dict[str, int] = {}
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                if client.post("/login", data={"token": token}).status_code != 303:
                    raise SystemExit("the viewer token was refused at /login")
                auth = {"Authorization": f"Bearer {token}"}

                def get(path: str) -> None:
                    answer = client.get(path, headers=auth)
                    answer.raise_for_status()
                    sizes[path] = len(answer.content)

                page_ms = _median_ms(lambda: get(f"/incidents/{KEY}"), args.requests)
                api_ms = _median_ms(lambda: get(f"/api/v1/incidents/{KEY}"), args.requests)
        finally:
            server.stop()
            store.dispose()
    result = {
        "signals": args.signals,
        "events": args.events,
        "view_ms": round(view_ms, 1),
        "page_ms": round(page_ms, 1),
        "api_ms": round(api_ms, 1),
        "page_kb": sizes[f"/incidents/{KEY}"] // 1024,
        "api_kb": sizes[f"/api/v1/incidents/{KEY}"] // 1024,
    }
    print("RESULT " + json.dumps(result))
    print(f"\n{args.signals:,} signals, {args.events:,} events; median of {args.requests}\n")
    print("| what | median ms | size KB |\n| --- | --- | --- |")
    print(f"| get_incident_view (in-process) | {view_ms:.0f} | |")
    print(f"| dashboard page | {page_ms:.0f} | {result['page_kb']} |")
    print(f"| GET /api/v1/incidents/{{key}} | {api_ms:.0f} | {result['api_kb']} |")


if __name__ == "__main__":
    main()
