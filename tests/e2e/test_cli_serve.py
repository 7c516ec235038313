"""End-to-end: ``redline serve --local-demo`` (a child process) and ``redline tokens`` (in-process)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
import yaml

import redline as rl
from redline.playbook.policy import DEFAULT_RULES
from redline.profiles.window import WindowProfile
from rltest.cli import cli_env, invoke_redline, redline_script


def _env() -> dict[str, str]:
    return cli_env((), prefix="REDLINE_API__")


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A SQLite store URL of this test's own."""
    return f"sqlite:///{tmp_path / 'redline.db'}"


def redline(*args: str, store: str) -> subprocess.CompletedProcess[str]:
    return invoke_redline(*args, "--store", store, env=_env())


@pytest.fixture
def served(store: str) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """``redline serve --local-demo --port 0`` running; yields (process, base URL, token)."""
    with serving(store) as running:
        yield running


@contextmanager
def serving(store: str, *extra: str) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """``redline serve --local-demo --port 0 [extra]`` running: (process, base URL, token)."""
    command = [redline_script(), "serve", "--local-demo", "--port", "0", "--log-level", "warning"]
    with subprocess.Popen(
        [*command, "--store", store, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(),
    ) as process:
        try:
            assert process.stdout is not None
            token_line, url_line = process.stdout.readline(), process.stdout.readline()
            token = token_line.strip().rsplit(" ", 1)[-1]
            printed = re.match(
                r"redline dashboard on (http://\S+)/ .* REST API on \1/api/v1 ", url_line
            )
            assert printed is not None, url_line
            url = printed.group(1)
            yield process, url, token
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()


def _wait_healthy(url: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.get(f"{url}/healthz", timeout=5)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.1)


def test_local_demo_prints_a_token_answers_and_revokes_the_token_on_exit(
    served: tuple[subprocess.Popen[str], str, str], store: str
) -> None:
    process, url, token = served
    assert token.startswith("rl_")
    assert url.startswith("http://127.0.0.1:")
    health = _wait_healthy(url)
    assert health.json() == {"status": "ok", "store_revision": "0011"}
    me = httpx.get(f"{url}/api/v1/tokens/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "admin"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    listed = json.loads(redline("tokens", "list", "--json", store=store).stdout)
    assert [t["revoked_at"] is not None for t in listed] == [True]
    assert token not in json.dumps(listed)


def test_local_demo_refuses_any_other_host(store: str) -> None:
    result = redline("serve", "--local-demo", "--host", "0.0.0.0", store=store)
    assert result.returncode == 2
    assert "--local-demo binds 127.0.0.1 only" in result.stderr
    assert "rl_" not in result.stdout


def test_tokens_create_list_revoke(store: str) -> None:
    created = redline("tokens", "create", "guard-eu", "--role", "responder", store=store)
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("rl_")
    assert "not shown again" in created.stderr
    listed = redline("tokens", "list", store=store)
    assert "guard-eu" in listed.stdout
    assert secret not in listed.stdout
    (record,) = json.loads(redline("tokens", "list", "--json", store=store).stdout)
    revoked = redline("tokens", "revoke", str(record["id"]), store=store)
    assert revoked.returncode == 0
    assert "revoked token" in revoked.stdout
    bad_role = redline("tokens", "create", "x", "--role", "root", store=store)
    assert bad_role.returncode == 2
    unknown = redline("tokens", "revoke", "999", store=store)
    assert unknown.returncode == 2
    assert "no token 999" in unknown.stderr


def _playbook(path: Path, rules: list[dict[str, object]]) -> Path:
    body = {
        "version": 1,
        "models": {"credit": {"reference": "reference.json", "primary": "credit:v1"}},
        "severity": {"version": "tests-serve", "rules": rules},
    }
    path.write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return path


def _drifted_window() -> dict[str, object]:
    """One closed window of ``credit`` with a drift alarm on ``x``, as a remote Guard sends it."""
    rng = np.random.default_rng(3)
    reference = rl.fit_reference({"x": rng.normal(size=2_000)}, window_sizes=[300, 1_000])
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    window = WindowProfile.of(
        reference,
        {"x": rng.normal(2.0, 1.0, 400)},
        start=start,
        end=start + timedelta(seconds=59),
        window_id="serve-playbook-0",
    )
    signal = {
        "monitor": "numeric_drift",
        "kind": "feature_drift",
        "column": "x",
        "statistic": "wasserstein_norm",
        "value": 0.9,
        "threshold": 0.1,
        "level": "alarm",
        "n_rows": 400,
    }
    return {"window": window.to_dict(), "signals": [signal]}


def test_serve_answers_windows_with_its_playbook(store: str, tmp_path: Path) -> None:
    rule = {
        "match": {"kinds": ["feature_drift"]},
        "severity": "SEV1",
        "actions": ["route_fallback"],
    }
    playbook = _playbook(tmp_path / "redline.yaml", [rule, *DEFAULT_RULES])
    with serving(store, "--playbook", str(playbook)) as (_, url, token):
        _wait_healthy(url)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30) as client:
            body = {"windows": [_drifted_window()]}
            client.post("/models/credit/windows", json=body).raise_for_status()
            (incident,) = client.get("/incidents", params={"model": "credit"}).json()
            route = client.get("/models/credit/route").json()
    # The built-in policy answers an alarm on drift with SEV2 and keeps the primary serving.
    assert (incident["severity"], route["state"]["mode"]) == ("SEV1", "fallback")


def test_serve_refuses_a_bad_playbook_in_one_line(tmp_path: Path) -> None:
    store = tmp_path / "never.db"
    bad = tmp_path / "bad.yaml"
    bad.write_text("severity:\n  rules: [{severity: SEV9}]\nrunbooks: 3\n", encoding="utf-8")
    result = redline("serve", "--playbook", str(bad), store=f"sqlite:///{store}")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "--playbook" in line
    assert str(bad) in line
    assert not store.exists()  # refused before the store was opened
