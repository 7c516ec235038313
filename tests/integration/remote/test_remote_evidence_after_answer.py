"""A window that declares over the API is answered once the change commits: the snapshot's
bytes (here the environment, whose capture the test holds back) are copied after the answer."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from remote_support import MODEL, Service, canary_failure, closed_window

import redline.forensics.environment as forensics_environment
from redline.guard.environment import FingerprintCache
from redline.guard.wire import window_item
from redline.profiles.reference import Reference
from redline.services.snapshots import list_snapshot_views
from rltest.waiting import wait_for

WINDOWS = f"/api/v1/models/{MODEL}/windows"


def test_the_answer_comes_before_the_snapshot_copies_its_bytes(
    service: Service, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def capture() -> dict[str, Any]:  # the environment capture (git, nvidia-smi), held back
        release.wait(30)
        return {"python": {"version": "3.11"}, "os": {"platform": "held"}}

    monkeypatch.setattr(forensics_environment, "LOCAL_FINGERPRINT", FingerprintCache(capture))
    declaring = dataclasses.replace(closed_window(reference, 1), signals=[canary_failure()])
    try:
        with service.client("responder") as client:
            first = {"windows": [window_item(closed_window(reference, 0))]}
            client.post(WINDOWS, json=first).raise_for_status()
            answer = client.post(WINDOWS, json={"windows": [window_item(declaring)]}, timeout=10)
            assert answer.status_code == 201, answer.text
            route = client.get(f"/api/v1/models/{MODEL}/route").json()
        (view,) = list_snapshot_views(service.store, model=MODEL)
        assert route["state"]["mode"] != "primary"  # contained before the bytes are copied
        assert view.declared["environment"]["status"] == "pending"
        assert not view.complete  # the copy waits for the environment, after the answer
    finally:
        release.set()
    wait_for(lambda: list_snapshot_views(service.store, model=MODEL)[0].complete, timeout_s=20)
    (done,) = list_snapshot_views(service.store, model=MODEL)
    assert done.manifest["environment"]["os"] == "held"
