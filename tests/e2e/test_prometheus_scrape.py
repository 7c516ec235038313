"""A real Prometheus server (Debian's package) scrapes redline's /metrics on 127.0.0.1.

The API serves a SQLite store holding windows (one drifted, one served by the fallback), the
RouteState they led to, a SEV2 incident with a verified containment action and a SEV1 incident
opened by an Alertmanager alert. Prometheus scrapes every second with a viewer token; the test
asks Prometheus's own HTTP API (PromQL) for the values.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

import redline
from redline.api import create_app
from redline.api.server import ApiServer
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services import open_store
from redline.services.tokens import create_token
from redline.settings import Settings, StoreSettings
from rltest.waiting import wait_for

PROMETHEUS = "/usr/bin/prometheus"
MODEL = "credit"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CONFIG = """\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: redline
    scrape_interval: 1s
    scrape_timeout: 1s
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials_file: {token_file}
    static_configs:
      - targets: ["{target}"]
"""


def _window(reference: Reference, *, index: int, shift: float, route: str, revision: int) -> Any:
    rng = np.random.default_rng(index)
    x = rng.normal(shift, 1.0, 400)
    start = START + timedelta(minutes=index)
    data = {"x": x, "region": rng.choice(["n", "s"], 400), "score": 2 * x}
    window = WindowProfile.of(
        reference, data, start=start, end=start + timedelta(seconds=59), window_id=f"w-{index}"
    )
    window.routes, window.route_revision = {route: 400}, revision
    return window.to_dict()


def _seed(client: httpx.Client, admin: str) -> None:
    """A drifted window losing recall (SEV2: fallback), a window served by the fallback, an
    upstream SEV1."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=5_000)
    data = {"x": x, "region": rng.choice(["n", "s"], 5_000), "score": 2 * x}
    reference = redline.fit_reference(data, prediction="score", window_sizes=[300, 1_000])
    as_admin = {"Authorization": f"Bearer {admin}"}
    client.put(f"/api/v1/models/{MODEL}/reference", json=reference.to_dict(), headers=as_admin)
    signal = {
        "monitor": "drift",
        "kind": "feature_drift",
        "column": "x",
        "statistic": "wasserstein_norm",
        "value": 0.8,
        "threshold": 0.1,
        "level": "alarm",
    }
    # Drift alone only keeps evidence; the recall lost on labels is the harm that reroutes.
    harm = {**signal, "kind": "performance_drop", "statistic": "recall", "value": 0.5}
    drifted = _window(reference, index=0, shift=2.0, route="primary", revision=0)
    served = _window(reference, index=1, shift=2.0, route="fallback", revision=1)
    for body in ({"window": drifted, "signals": [signal, harm]}, {"window": served}):
        posted = client.post(f"/api/v1/models/{MODEL}/windows", json={"windows": [body]})
        posted.raise_for_status()
    alert = {
        "status": "firing",
        "labels": {"alertname": "FraudScorerDown", "severity": "critical", "kind": "outage"},
        "startsAt": START.isoformat(),
        "fingerprint": "0f1e2d3c4b5a6978",
    }
    webhook = {"version": "4", "status": "firing", "alerts": [alert]}
    client.post("/api/v1/receivers/alertmanager?model=fraud", json=webhook).raise_for_status()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The API under uvicorn on 127.0.0.1 over a seeded store; yields (host:port, viewer token)."""
    url = f"sqlite:///{tmp_path / 'redline.db'}"
    store = open_store(url)
    server = ApiServer(
        create_app(Settings(store=StoreSettings(url=url)), store=store),
        host="127.0.0.1",
        port=0,
        log_level="warning",
    ).start()
    tokens = {r: create_token(store, name=r, role=r)[0] for r in ("viewer", "responder", "admin")}
    try:
        headers = {"Authorization": f"Bearer {tokens['responder']}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=30.0) as client:
            _seed(client, tokens["admin"])
        yield server.url.removeprefix("http://"), tokens["viewer"]
    finally:
        server.stop()
        store.dispose()


@pytest.fixture
def prometheus(api: tuple[str, str], tmp_path: Path) -> Iterator[httpx.Client]:
    """Debian's Prometheus on a free port with its own config and storage, its target up."""
    executable = PROMETHEUS if Path(PROMETHEUS).exists() else shutil.which("prometheus")
    if executable is None:
        pytest.skip("prometheus is not installed (.ci/run installs it: apt-get install prometheus)")
    target, token = api
    token_file = tmp_path / "token"
    token_file.write_text(token)
    config = tmp_path / "prometheus.yml"
    config.write_text(CONFIG.format(token_file=token_file, target=target))
    port = _free_port()
    command = [
        executable,
        f"--config.file={config}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    log = (tmp_path / "prometheus.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10.0) as client:

            def up() -> bool:
                if process.poll() is not None:
                    pytest.fail(f"prometheus exited:\n{(tmp_path / 'prometheus.log').read_text()}")
                return _target_up(client)

            wait_for(up, timeout_s=60)
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _query(client: httpx.Client, promql: str) -> dict[str, float]:
    """An instant PromQL query: each series' labels (sorted, as text) and value."""
    answer = client.get("/api/v1/query", params={"query": promql})
    answer.raise_for_status()
    body = answer.json()
    assert body["status"] == "success", body
    return {
        ",".join(
            f"{k}={v}"
            for k, v in sorted(r["metric"].items())
            if k not in {"__name__", "instance", "job"}
        ): float(r["value"][1])
        for r in body["data"]["result"]
    }


def _target_up(client: httpx.Client) -> bool:
    try:
        answer = client.get("/api/v1/targets")
    except httpx.TransportError:
        return False  # still starting
    targets = answer.json()["data"]["activeTargets"] if answer.status_code == 200 else []
    return any(t["health"] == "up" for t in targets)


def test_prometheus_scrapes_rows_routes_drift_incidents_and_latency(
    prometheus: httpx.Client,
) -> None:
    credit = f"model={MODEL}"
    assert _query(prometheus, 'up{job="redline"}') == {"": 1.0}
    assert _query(prometheus, "redline_window_rows") == {credit: 400.0}
    assert _query(prometheus, "redline_window_route_rows") == {f"{credit},route=fallback": 400.0}
    # Both models serve their fallback: credit after its SEV2, fraud after the upstream SEV1.
    routes = {f"mode=fallback,{credit}": 1.0, "mode=fallback,model=fraud": 1.0}
    assert _query(prometheus, "redline_route_mode == 1") == routes
    assert _query(prometheus, "redline_route_revision") == {credit: 1.0, "model=fraud": 1.0}
    ended = START + timedelta(minutes=1, seconds=59)
    assert _query(prometheus, "redline_window_end_timestamp_seconds") == {credit: ended.timestamp()}
    opened = _query(prometheus, "redline_open_incidents > 0")
    assert opened == {f"{credit},severity=SEV2": 1.0, "model=fraud,severity=SEV1": 1.0}
    over = _query(
        prometheus, "redline_drift_statistic > on(model, column, statistic) redline_drift_threshold"
    )
    # x moved by two standard deviations and the score (2x) with it; region did not move.
    drifted = sorted(over)
    assert drifted == [f"column={c},{credit},statistic=wasserstein_norm" for c in ("score", "x")]
    assert any(k.startswith("column=region") for k in _query(prometheus, "redline_drift_statistic"))
    verified = _query(prometheus, "sum by (type) (redline_action_verify_seconds_count)")
    assert verified == {"type=route_fallback": 1.0}
    # Applied when the drifted window closed, verified when the next one (a minute on) did.
    spent = _query(prometheus, "sum(redline_action_verify_seconds_sum)")
    assert spent == {"": 60.0}
    quantile = "histogram_quantile(0.5, redline_action_verify_seconds_bucket)"
    (median,) = _query(prometheus, quantile).values()
    assert 30.0 < median <= 60.0  # the 60 s bucket
