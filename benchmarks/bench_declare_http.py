"""A declaring window over HTTP: how long the Guard waits for the answer, and for the evidence.

A remote Guard posts a SEV1 window (one CRITICAL ``canary_failure`` signal) to a real
``create_app`` server on 127.0.0.1 (SQLite, a fresh file per round) for a model whose registered
artifact is an ``--artifact-mb`` MB file. The policy snapshots, then flips the kill switch.
Measured per round, in ms from the POST: ``answer_ms`` (the response reaches the client) and
``evidence_ms`` (the snapshot holds every byte). Runs on whatever ``redline`` is importable, so
the same script measures an older tree:

    .venv/bin/python benchmarks/bench_declare_http.py --rounds 5
    git archive HEAD | tar -x -C /tmp/redline-before
    PYTHONPATH=/tmp/redline-before/src .venv/bin/python benchmarks/bench_declare_http.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

import redline
from bench_declare import MODEL, _prepare, _window
from redline.api import create_app
from redline.api.server import ApiServer
from redline.guard.wire import window_item
from redline.services.snapshots import list_snapshot_views
from redline.services.tokens import create_token
from redline.settings import ApiSettings, Settings, StoreSettings

SEV1 = {
    "monitor": "canary",
    "kind": "canary_failure",
    "column": None,
    "statistic": "failed",
    "value": 1.0,
    "threshold": 0.0,
    "level": "critical",
}


def one_round(artifact_mb: int) -> dict[str, float]:
    """One fresh store and server; the ms to the answer and to the complete snapshot."""
    with tempfile.TemporaryDirectory(prefix="redline-declare-") as scratch:
        folder = Path(scratch)
        store, reference = _prepare(folder, artifact_mb)  # 3 quiet windows stored
        token, _ = create_token(store, name="bench", role="responder")
        url = f"sqlite:///{folder / 'redline.db'}"
        settings = Settings(store=StoreSettings(url=url), api=ApiSettings(route_poll_s=0.2))
        server = ApiServer(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
        server.start()
        declaring = window_item(_window(reference, 3, [])) | {"signals": [SEV1]}
        try:
            auth = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.url, headers=auth, timeout=60) as client:
                began = time.perf_counter()
                answer = client.post(
                    f"/api/v1/models/{MODEL}/windows", json={"windows": [declaring]}
                )
                answered = time.perf_counter()
                answer.raise_for_status()
            while not list_snapshot_views(store, model=MODEL)[0].complete:
                time.sleep(0.005)
            complete = time.perf_counter()
        finally:
            server.stop()
            store.dispose()
    return {"answer_ms": 1000 * (answered - began), "evidence_ms": 1000 * (complete - began)}


def main() -> None:
    """Rounds, medians, one RESULT line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--artifact-mb", type=int, default=200)
    args = parser.parse_args()
    rounds = [one_round(args.artifact_mb) for _ in range(args.rounds)]
    medians = {k: round(statistics.median(r[k] for r in rounds), 1) for k in rounds[0]}
    result = {
        "redline": str(Path(redline.__file__).parent),
        "artifact_mb": args.artifact_mb,
        "median": medians,
        "rounds": [{k: round(v, 1) for k, v in r.items()} for r in rounds],
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
