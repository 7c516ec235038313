"""HttpSink against a real service: restarts, the bounded spool, corrupt lines, refused windows."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from remote_support import MODEL, Service, TeeSink, closed_window

from redline.domain import Level, Signal
from redline.errors import DataError
from redline.guard import GuardEngine as Guard
from redline.guard import HttpSink
from redline.guard.wire import window_item
from redline.profiles.reference import Reference
from rltest.waiting import wait_for

FAST = {"retry_min_s": 0.05, "retry_max_s": 0.2}


def _sink(service: Service, spool: Path, **options: Any) -> HttpSink:
    values: dict[str, Any] = {"token": service.tokens["responder"], "spool_path": spool}
    return HttpSink(service.base_url, **(values | FAST | options))


def _line_bytes(reference: Reference, index: int) -> int:
    item = {"model": MODEL, "item": window_item(closed_window(reference, index))}
    return len(json.dumps(item, separators=(",", ":")).encode()) + 1


def _serve_rows(guard: Guard, index: int) -> None:
    rng = np.random.default_rng(index)
    shift = 3.0 if index % 3 == 2 else 0.0  # some windows drift, so signals travel too
    for x in rng.normal(shift, 1.0, 60):
        decision = guard.predict({"x": float(x), "region": "n"})
    guard.feedback(decision.request_id, 1.0)


def test_windows_streamed_through_a_service_restart_arrive_exactly_once(
    service: Service, reference: Reference, tmp_path: Path
) -> None:
    sink = TeeSink(_sink(service, tmp_path / "spool.jsonl"))
    http = sink.sink
    assert isinstance(http, HttpSink)
    with Guard(
        model=MODEL,
        predict=lambda row: 2.0 * row["x"],
        reference=reference,
        sink=sink,
        window_s=3600,
        record_served=True,
    ) as guard:
        for index in range(12):
            _serve_rows(guard, index)
            guard.flush()
            if index == 3:
                wait_for(lambda: http.sent == 4)
                service.stop()
            if index == 7:
                assert http.pending == 4  # windows 4-7 wait in the spool while the service is away
                service.start()
        wait_for(lambda: http.sent == 12)
    stored = service.window_ids()
    assert sorted(stored) == sorted(sink.ids)
    assert len(stored) == len(set(stored)) == 12
    assert (http.pending, http.rejected, http.refused, http.spooled) == (0, 0, 0, 12)


def test_a_full_spool_refuses_new_windows_counts_and_logs_them(
    down_service: Service, reference: Reference, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bound = sum(_line_bytes(reference, i) for i in range(3)) + 100  # room for three windows
    # One window per request: the head then stops mid-file and the spool compacts as it drains.
    sink = _sink(down_service, tmp_path / "spool.jsonl", max_spool_bytes=bound, batch_size=1)
    with caplog.at_level(logging.ERROR, logger="redline.guard"):
        for index in range(5):
            sink.write(closed_window(reference, index))
    assert (sink.spooled, sink.refused, sink.pending) == (3, 2, 3)
    assert sink.spool_bytes <= bound
    assert (tmp_path / "spool.jsonl").stat().st_size <= bound
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 2
    assert "window w-3 of remote refused" in refused[0]
    down_service.start()
    wait_for(lambda: sink.sent == 3)
    for index in range(5, 8):  # drained, the spool takes windows again
        sink.write(closed_window(reference, index))
    wait_for(lambda: sink.sent == 6)
    sink.close()
    assert down_service.window_ids() == ["w-0", "w-1", "w-2", "w-5", "w-6", "w-7"]
    assert (sink.refused, sink.pending, sink.spool_bytes) == (2, 0, 0)


def test_a_new_sink_on_the_same_spool_sends_what_the_last_one_left(
    down_service: Service, reference: Reference, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    first = _sink(down_service, spool, close_timeout_s=0.2)
    for index in range(4):
        first.write(closed_window(reference, index))
    with pytest.raises(DataError, match="in use by another sink"):
        _sink(down_service, spool)
    first.close()
    assert (first.sent, first.pending) == (0, 4)
    down_service.start()
    second = _sink(down_service, spool)
    assert second.pending == 4
    wait_for(lambda: second.sent == 4)
    second.close()
    assert down_service.window_ids() == ["w-0", "w-1", "w-2", "w-3"]
    assert spool.stat().st_size == 0


def test_a_corrupt_spool_line_is_logged_with_its_number_and_skipped(
    down_service: Service, reference: Reference, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = tmp_path / "spool.jsonl"
    first = _sink(down_service, spool, close_timeout_s=0.1)
    for index in range(3):
        first.write(closed_window(reference, index))
    first.close()
    lines = spool.read_bytes().splitlines(keepends=True)
    lines.insert(1, b'{"model": "remote", "item": {"wind\n')  # line 2: cut short
    spool.write_bytes(b"".join(lines) + b"\xff\xfe not json, and no newline")  # line 5: torn
    down_service.start()
    with caplog.at_level(logging.ERROR, logger="redline.guard"):
        second = _sink(down_service, spool)
        wait_for(lambda: second.sent == 3)
        second.close()
    assert down_service.window_ids() == ["w-0", "w-1", "w-2"]
    assert second.rejected == 2
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "line 2 is not a JSON record" in messages
    assert "line 5 is not a JSON record" in messages
    kept = [json.loads(line) for line in second.rejected_path.read_text().splitlines()]
    assert [k["detail"] for k in kept] == ["corrupt spool line 2", "corrupt spool line 5"]


def test_windows_the_service_refuses_go_to_the_rejected_file_and_the_rest_arrive(
    down_service: Service, reference: Reference, tmp_path: Path
) -> None:
    good = [closed_window(reference, i) for i in (0, 2, 4)]
    bad_signal = Signal("", "feature_drift", "x", "psi", 0.5, 0.1, Level.ALARM)  # 422
    invalid = replace(closed_window(reference, 1), signals=[bad_signal])
    backwards = closed_window(reference, 3)
    assert backwards.window.start is not None
    backwards.window.end = backwards.window.start - timedelta(seconds=1)  # 400: ends before start
    sink = _sink(down_service, tmp_path / "spool.jsonl")
    for closed in (good[0], invalid, good[1], backwards, good[2]):
        sink.write(closed)
    down_service.start()  # all five wait, so they go as one batch that the service refuses
    wait_for(lambda: sink.sent + sink.rejected == 5)
    sink.close()
    assert down_service.window_ids() == ["w-0", "w-2", "w-4"]
    assert (sink.sent, sink.rejected, sink.pending) == (3, 2, 0)
    kept = [json.loads(line) for line in sink.rejected_path.read_text().splitlines()]
    assert [(k["status"], k["item"]["window"]["window_id"]) for k in kept] == [
        (422, "w-1"),
        (400, "w-3"),
    ]
    assert "ends before it starts" in kept[1]["detail"]


def test_a_refused_token_stops_sending_and_keeps_the_windows_for_a_valid_one(
    sqlite_service: Service, reference: Reference, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sqlite_service.start()
    spool = tmp_path / "spool.jsonl"
    with caplog.at_level(logging.ERROR, logger="redline.guard"):
        refused = _sink(sqlite_service, spool, token="rl_not-a-token", close_timeout_s=0.2)
        for index in range(2):
            refused.write(closed_window(reference, index))
        wait_for(lambda: refused.halted is not None)
        refused.close()
    assert (refused.sent, refused.pending, refused.rejected) == (0, 2, 0)
    assert "refused the token (HTTP 401" in caplog.text
    viewer = _sink(sqlite_service, spool, token=sqlite_service.tokens["viewer"])
    wait_for(lambda: viewer.halted is not None)
    viewer.close()
    assert viewer.halted is not None
    assert viewer.halted.startswith("HTTP 403")
    responder = _sink(sqlite_service, spool)
    wait_for(lambda: responder.sent == 2)
    responder.close()
    assert sqlite_service.window_ids() == ["w-0", "w-1"]
