"""SQLite held by another writer: reads and logins still answer, writes get 503 + Retry-After."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from api_support import Api

from redline.services.tokens import create_token, get_token
from rltest.waiting import wait_for


@contextmanager
def write_lock_held(api: Api) -> Iterator[None]:
    """Another process-like connection holding SQLite's write lock until the block ends."""
    url = api.store.engine.url
    if url.get_backend_name() != "sqlite":
        pytest.skip("the write lock that makes requests wait is SQLite's")
    holder = sqlite3.connect(str(url.database), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_held_write_lock_is_a_503_with_retry_after_and_reads_go_on(api: Api) -> None:
    fresh, record = create_token(api.store, name="fresh", role="admin")
    key = api.incident()
    with write_lock_held(api), api.client("responder") as client:
        note = client.post(f"/api/v1/incidents/{key}/notes", json={"text": "looking"})
        # A token never used before: authenticating it must not wait for its last_used_at.
        headers = {"Authorization": f"Bearer {fresh}"}
        read = client.get(f"/api/v1/incidents/{key}", headers=headers)
        # Read while the lock is still held: the token's use is recorded off the request
        # path, once the lock is gone (a read after the block would race that write).
        touched = get_token(api.store, token_id=record.id).last_used_at
    assert (note.status_code, note.headers.get("retry-after")) == (503, "1")
    assert "busy" in note.json()["detail"]
    assert read.status_code == 200
    assert touched is None


def test_a_token_use_is_recorded_off_the_request_path(api: Api) -> None:
    fresh, record = create_token(api.store, name="fresh", role="viewer")
    with api.client(None) as client:
        answer = client.get("/api/v1/models", headers={"Authorization": f"Bearer {fresh}"})
    assert answer.status_code == 200
    wait_for(lambda: get_token(api.store, token_id=record.id).last_used_at is not None)
