"""HttpSink streaming while ``redline serve`` is killed outright (SIGKILL) and started again."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from remote_support import ServeProcess, Service, closed_window

from redline.guard import HttpSink
from redline.profiles.reference import Reference
from rltest.waiting import wait_for

WINDOWS = 60


def test_a_killed_service_loses_no_window_and_stores_none_twice(
    migrated_url: str, reference: Reference, tmp_path: Path
) -> None:
    service = Service(migrated_url).start()
    service.stop()  # keeps the port number for the process below
    served = ServeProcess(migrated_url, service.port).start()
    sink = HttpSink(
        service.base_url,
        token=service.tokens["responder"],
        spool_path=tmp_path / "spool.jsonl",
        batch_size=5,
        retry_min_s=0.05,
        retry_max_s=0.2,
    )
    windows = [closed_window(reference, i, n=50) for i in range(WINDOWS)]

    def stream() -> None:  # as a Guard's worker thread would
        for closed in windows:
            sink.write(closed)
            time.sleep(0.02)

    writer = threading.Thread(target=stream)
    try:
        writer.start()
        wait_for(lambda: sink.sent >= 10)
        served.kill()
        wait_for(lambda: sink.pending >= 10)  # the stream goes on into the spool
        served.start()
        writer.join(timeout=30)
        wait_for(lambda: sink.sent == WINDOWS, timeout_s=30)
    finally:
        writer.join(timeout=30)
        sink.close()
        served.kill()
    stored = service.window_ids()
    assert len(stored) == len(set(stored)) == WINDOWS
    assert set(stored) == {f"w-{i}" for i in range(WINDOWS)}
    assert (sink.pending, sink.rejected, sink.refused) == (0, 0, 0)
    service.close()
