"""The remote Guard's spool fills its disk (a 1 MiB tmpfs) while the server is down: the Guard
keeps serving, every window it cannot spool is counted and logged, none is silently lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from fault_env import fill
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

#: Free bytes left on the tmpfs: room for a few windows, then the disk is full.
ROOM_BYTES = 64 * 1024


def test_a_full_spool_disk_refuses_windows_counted_and_logged_and_loses_none(
    pg_url: str,
    store_tokens: dict[str, str],
    reference_file: Path,
    playbook_file: Path,
    small_disk: Path,  # before processes: unmounted after they are killed
    processes: list[Process],
    tmp_path: Path,
) -> None:
    serve = ServeProcess(pg_url, playbook_file, tmp_path / "serve.log")  # down for now
    worker = WorkerProcess(pg_url, playbook_file, tmp_path / "worker.log")
    spool_dir = small_disk / "spool"
    guard = GuardProcess(
        serve.base_url,
        store_tokens["responder"],
        spool_dir,
        reference_file,
        tmp_path / "g.log",
    )
    processes.extend([guard, serve, worker])
    spool_dir.mkdir()
    ballast = fill(small_disk, leave_bytes=ROOM_BYTES)
    guard.start()
    wait_for(lambda: len(guard.refused) >= 3, timeout_s=40)
    served = guard.request_path()[0]
    wait_for(lambda: guard.request_path()[0] > served + 100, timeout_s=10)  # still serving
    assert len(guard.windows) >= 1  # some fitted before the disk filled

    # The server comes back: the spool drains; the Guard spools and sends again.
    ballast.unlink()
    serve.launch()
    worker.start()
    serve.ready()
    refused_then = len(guard.refused)
    spooled_then = len(guard.windows)
    wait_for(lambda: len(guard.windows) >= spooled_then + 2, timeout_s=20)
    guard.send("shift 3")
    wait_for(lambda: guard.routes[-1][1] == "fallback", timeout_s=60)
    guard.close()

    ledger = EvaluationLedger(pg_url)
    closed, refused = set(guard.windows), set(guard.refused)

    ledger.wait_settled(closed)
    evaluations, stored, _ = ledger.counts()
    assert set(stored) == closed  # every window spooled was stored, none of those refused
    assert not refused & set(stored)
    assert len(refused) >= refused_then >= 3
    log = guard.stderr()
    for window_id in refused:  # each refusal logged with the window's id
        assert f"window {window_id} of credit refused" in log
    assert "is not a JSON record" not in log  # the full disk tore no spool line
    assert evaluations == dict.fromkeys(stored, 1)
    check_request_path(guard.request_path())
    assert not [code for code in serve.statuses() if code >= 500], serve.statuses()
