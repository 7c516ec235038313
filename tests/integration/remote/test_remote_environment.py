"""A remote Guard reports its own environment: stored per model and instance, recorded by the
snapshots of its incidents instead of the service's; bad reports are refused and change nothing."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from remote_support import MODEL, Service, canary_failure, closed_window

from redline.guard import HttpSink
from redline.guard.environment import (
    LOCAL_FINGERPRINT,
    REDACTED,
    FingerprintCache,
    capture_fingerprint,
    environment_report,
)
from redline.guard.wire import window_item
from redline.profiles.reference import Reference
from redline.services.environments import list_environments
from redline.services.snapshots import list_snapshot_views, verify_snapshot
from redline.store import get_blob, list_audit
from rltest.waiting import wait_for

INSTANCE = "model-server-7:4242"
SERVER_VARIABLE = "MODEL_SERVER_REGION_SETTING"
SERVER_SECRET = "eu-west-7-private-value"


def _guard_fingerprint() -> dict[str, Any]:
    """This machine's fingerprint as a different host would report it (CUDA, torch)."""
    found = capture_fingerprint()
    found["host"] = {"name": "model-server-7"}
    found["distributions"] = {**found["distributions"], "torch": "2.5.1+cu121"}
    found["gpu"] = {"status": "recorded", "torch": {"torch": "2.5.1", "cuda": "12.1"}}
    return found


def test_a_snapshot_records_the_environment_the_guard_sent_not_the_services(
    service: Service, reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SERVER_VARIABLE, SERVER_SECRET)  # the model server's own variable
    sent = _guard_fingerprint()
    with HttpSink(
        service.base_url,
        token=service.tokens["responder"],
        spool_path=tmp_path / "spool.jsonl",
        instance=INSTANCE,
        fingerprint=FingerprintCache(lambda: sent),
    ) as sink:
        sink.write(closed_window(reference, 0))  # the service meets the model here
        wait_for(lambda: bool(list_environments(service.store, model=MODEL)), timeout_s=10)
        failing = dataclasses.replace(closed_window(reference, 1), signals=[canary_failure()])
        sink.write(failing)
        wait_for(lambda: sink.sent == 2, timeout_s=10)
    (stored,) = list_environments(service.store, model=MODEL)
    variables = stored.fingerprint["variables"]
    assert (stored.instance, stored.fingerprint) == (INSTANCE, {**sent, "variables": variables})
    assert variables == environment_report({})["variables"]  # what an embedded Guard records
    with service.client("viewer") as client:
        listed = client.get(f"/api/v1/models/{MODEL}/environments").json()
    assert [(e["instance"], e["sha256"]) for e in listed] == [(INSTANCE, stored.sha256)]

    (view,) = list_snapshot_views(service.store, model=MODEL)
    wait_for(lambda: list_snapshot_views(service.store, model=MODEL)[0].complete, timeout_s=10)
    section = view.declared["environment"]  # in the manifest written before the kill switch
    assert (section["source"], section["instance"]) == ("guard", INSTANCE)
    assert section["fingerprint_sha256"] == stored.sha256
    with service.store.reading() as session:
        blob = get_blob(session, sha256=_file_sha(view.declared, section["file"]))
        assert blob is not None
        recorded = json.loads(bytes(blob.content))
    assert recorded["host"] == {"name": "model-server-7"}
    assert recorded["gpu"]["torch"]["cuda"] == "12.1"
    assert LOCAL_FINGERPRINT.get()["host"] != recorded["host"]  # the service's own differs
    assert recorded["variables"][SERVER_VARIABLE] == REDACTED  # the name, never the value
    assert SERVER_SECRET.encode() not in bytes(blob.content)
    assert verify_snapshot(service.store, snapshot_id=view.id).ok


def _file_sha(manifest: dict[str, Any], name: str) -> str:
    return str(next(f["sha256"] for f in manifest["files"] if f["name"] == name))


def _body(**changes: Any) -> dict[str, Any]:
    fingerprint = {**_guard_fingerprint(), **changes}
    return {"instance": INSTANCE, "fingerprint": fingerprint}


@pytest.mark.parametrize(
    ("model", "body", "status"),
    [
        ("nobody", _body(), 404),
        (MODEL, _body(python="3.11"), 422),
        (MODEL, _body(distributions={"numpy": 2}), 422),
        (MODEL, {"instance": INSTANCE}, 422),
        (MODEL, {**_body(), "extra": 1}, 422),
        (MODEL, {"instance": "", "fingerprint": _guard_fingerprint()}, 422),
        (MODEL, _body(distributions={f"pkg-{i}": "1.0" * 60 for i in range(4_000)}), 400),
        (MODEL, _body(distributions={f"pkg-{i}": "1.0" * 60 for i in range(60_000)}), 413),
    ],
    ids=[
        "unknown-model",
        "wrong-type",
        "wrong-version-type",
        "missing",
        "unknown-field",
        "empty-instance",
        "too-large",
        "over-body-limit",
    ],
)
def test_bad_reports_are_refused_with_a_4xx_and_store_nothing(
    service: Service, reference: Reference, model: str, body: dict[str, Any], status: int
) -> None:
    with service.client("responder") as client:
        client.post(
            f"/api/v1/models/{MODEL}/windows",
            json={"windows": [_window_item(reference)]},
        ).raise_for_status()
        with service.store.reading() as session:
            audit_before = len(list_audit(session, limit=10_000))
        response = client.put(f"/api/v1/models/{model}/environment", json=body)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert list_environments(service.store, model=MODEL) == []
    with service.store.reading() as session:
        assert len(list_audit(session, limit=10_000)) == audit_before


def test_a_viewer_may_not_report_an_environment(service: Service) -> None:
    with service.client("viewer") as client:
        response = client.put(f"/api/v1/models/{MODEL}/environment", json=_body())
    assert response.status_code == 403


def _window_item(reference: Reference) -> dict[str, Any]:
    return window_item(closed_window(reference, 0))
