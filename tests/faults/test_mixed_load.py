"""Everything at once: three remote Guards posting windows with label feedback, a dashboard
visitor and an API reader, kill-switch presses (each reverted) through the API, and one worker,
until each Guard has closed WINDOWS_UNDER_LOAD windows under that load and PRESSES presses were
made (an amount of work, not a duration: the same on a quiet machine and a busy one). No 5xx,
every press applied, no window lost or evaluated twice."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
from fault_support import (
    EvaluationLedger,
    GuardProcess,
    Process,
    ServeProcess,
    WorkerProcess,
    check_request_path,
)

from rltest.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

#: Windows each Guard closes (one a second) while the reads and presses run.
WINDOWS_UNDER_LOAD = 10
#: Kill-switch presses, each reverted, at least; more while the windows are not all closed.
PRESSES = 20
#: Reads of the API and dashboard, at least.
READS_UNDER_LOAD = 100
LOAD_DEADLINE_S = 180.0
GUARDS = 3
READS = (
    "/api/v1/models",
    "/api/v1/incidents",
    "/api/v1/signals?model=credit",
    "/api/v1/actions",
    "/api/v1/models/credit/route/history",
    "/metrics",
)
DASHBOARD = ("/", "/models/credit")


def _read(base_url: str, token: str, done: threading.Event, codes: Counter[int]) -> None:
    """API and dashboard reads, round after round, until ``done``."""
    with httpx.Client(base_url=base_url, timeout=30) as visitor:
        login = visitor.post("/login", data={"token": token})
        codes[login.status_code] += 1
        api = {"Authorization": f"Bearer {token}"}
        while not done.is_set():
            for path in READS:
                codes[visitor.get(path, headers=api).status_code] += 1
            for path in DASHBOARD:
                codes[visitor.get(path).status_code] += 1


def _press(
    base_url: str, token: str, done: threading.Event, presses: list[dict[str, object]]
) -> None:
    """Press the kill switch, wait until the route shows it, revert it; again until ``done``."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        while not done.is_set():
            pressed = client.post(
                "/api/v1/models/credit/actions",
                json={"type": "kill_switch", "idempotency_key": f"press-{len(presses)}"},
            )
            result: dict[str, object] = {"status_code": pressed.status_code}
            if pressed.status_code == 201:
                result.update(pressed.json())
                reverted = client.post(f"/api/v1/actions/{result['action_id']}/revert")
                result["revert_status_code"] = reverted.status_code
            presses.append(result)


def test_mixed_load_serves_no_5xx_and_applies_every_press(
    pg_url: str,
    store_tokens: dict[str, str],
    reference_file: Path,
    playbook_file: Path,
    processes: list[Process],
    tmp_path: Path,
) -> None:
    serve = ServeProcess(pg_url, playbook_file, tmp_path / "serve.log")
    worker = WorkerProcess(pg_url, playbook_file, tmp_path / "worker.log")
    guards = [
        GuardProcess(
            serve.base_url,
            store_tokens["responder"],
            tmp_path / f"g{i}",
            reference_file,
            tmp_path / f"g{i}.log",
        )
        for i in range(GUARDS)
    ]
    processes.extend([serve, worker, *guards])
    serve.launch()
    worker.start()
    for guard in guards:
        guard.launch()
    serve.ready()
    for guard in guards:
        guard.ready()

    done = threading.Event()
    codes: Counter[int] = Counter()
    presses: list[dict[str, object]] = []
    load = [
        threading.Thread(target=_read, args=(serve.base_url, store_tokens["viewer"], done, codes)),
        threading.Thread(
            target=_press, args=(serve.base_url, store_tokens["responder"], done, presses)
        ),
    ]
    for thread in load:
        thread.start()
    before = [len(guard.windows) for guard in guards]

    def enough() -> bool:
        closed = [len(g.windows) - n for g, n in zip(guards, before, strict=True)]
        followed = all(any(mode == "fallback" for _, mode in g.routes) for g in guards)
        pressed = len(presses) >= PRESSES and sum(codes.values()) >= READS_UNDER_LOAD
        return min(closed) >= WINDOWS_UNDER_LOAD and pressed and followed

    try:
        wait_for(enough, timeout_s=LOAD_DEADLINE_S)
    finally:
        done.set()
        for thread in load:
            thread.join(timeout=60)
    closed: set[str] = set()
    for guard in guards:
        guard.close()
        closed |= set(guard.windows)
        check_request_path(guard.request_path())
        assert guard.refused == []
        assert any(mode == "fallback" for _, mode in guard.routes), guard.routes  # a press seen

    ledger = EvaluationLedger(pg_url)

    ledger.wait_settled(closed)
    evaluations, stored, _ = ledger.counts()
    assert set(stored) == closed
    assert evaluations == dict.fromkeys(stored, 1)
    assert presses
    outcomes = {(p["status_code"], p.get("status"), p.get("revert_status_code")) for p in presses}
    assert outcomes == {(201, "applied", 200)}, presses
    with httpx.Client(base_url=serve.base_url, timeout=30) as client:
        headers = {"Authorization": f"Bearer {store_tokens['viewer']}"}
        actions = client.get("/api/v1/actions", params={"limit": 1000}, headers=headers).json()
    pressed_ids = {p["action_id"] for p in presses}
    assert pressed_ids <= {a["id"] for a in actions}
    everything = serve.statuses() + codes
    assert not [code for code in everything if code >= 500], everything
