"""Concurrent writers on SQLite: authenticated requests at once never 500; a batch is atomic."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from api_support import MODEL, Api, fit_reference, window_payload

from redline.api.ingest import closed_window
from redline.api.schemas import ClosedWindowCreate
from redline.services.ingest import record_windows
from redline.services.response import ResponsePlan
from redline.services.tokens import create_token, list_tokens
from redline.store import Store, list_windows
from rltest.waiting import wait_for

THREADS = 8
TOKENS_PER_THREAD = 6


@pytest.fixture
def writer(api: Api) -> Iterator[None]:
    """Another connection committing short write transactions until the test ends."""
    stop = threading.Event()
    other = Store.from_url(str(api.store.engine.url.render_as_string(hide_password=False)))

    def write() -> None:
        index = 0
        while not stop.is_set():
            create_token(other, name=f"busy-{index}", role="viewer")
            index += 1
            stop.wait(0.002)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        other.dispose()


def test_threads_authenticating_at_once_get_no_500(api: Api, writer: None) -> None:
    # Fresh tokens: each one's first request records last_used_at, a write after a read.
    tokens = [
        [
            create_token(api.store, name=f"t{t}-{i}", role="viewer")[0]
            for i in range(TOKENS_PER_THREAD)
        ]
        for t in range(THREADS)
    ]
    statuses: list[int | str] = []
    start = threading.Barrier(THREADS)

    def run(mine: list[str]) -> None:
        with httpx.Client(base_url=api.url, timeout=30.0) as client:
            start.wait()
            for token in mine:
                headers = {"Authorization": f"Bearer {token}"}
                try:
                    statuses.append(client.get("/api/v1/models", headers=headers).status_code)
                except httpx.HTTPError as exc:  # a server that drops the connection
                    statuses.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(mine,)) for mine in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * (THREADS * TOKENS_PER_THREAD)
    names = {f"t{t}-{i}" for t in range(THREADS) for i in range(TOKENS_PER_THREAD)}

    def all_used() -> bool:  # recorded off the request path, by the API's touch thread
        return names <= {t.name for t in list_tokens(api.store) if t.last_used_at is not None}

    wait_for(all_used, timeout_s=30)


def test_a_batch_is_stored_whole_or_not_at_all(api: Api) -> None:
    reference = fit_reference()
    good = closed_window(MODEL, ClosedWindowCreate(window=window_payload(reference, index=0)))
    bad = closed_window(MODEL, ClosedWindowCreate(window=window_payload(reference, index=1)))
    bad.window.end = bad.window.start.replace(year=2025) if bad.window.start else None
    with pytest.raises(ValueError, match="end"):
        record_windows(api.store, [good, bad], plan=ResponsePlan())
    with api.store.reading() as session:
        assert list_windows(session, model=MODEL) == []
    assert record_windows(api.store, [good, good], plan=ResponsePlan()) == [True, False]
