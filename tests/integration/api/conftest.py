"""A live API server (uvicorn in a thread, port 0) on each test's own SQLite or PostgreSQL,
already migrated (``migrated_url``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from api_support import Api, api_settings

from redline.api import create_app
from redline.api.server import ApiServer
from redline.services import open_store
from redline.services.tokens import create_token

ROLES = ("viewer", "responder", "admin")


def _serve(url: str, options: dict[str, object]) -> Iterator[Api]:
    store = open_store(url)
    app = create_app(api_settings(url, **options), store=store)
    server = ApiServer(app, host="127.0.0.1", port=0, log_level="warning").start()
    tokens = {role: create_token(store, name=f"{role}-test", role=role)[0] for role in ROLES}
    try:
        yield Api(server, store, tokens)
    finally:
        server.stop()
        store.dispose()


@pytest.fixture
def api(migrated_url: str) -> Iterator[Api]:
    """A server on a fresh store, with admin, responder and viewer tokens."""
    yield from _serve(migrated_url, {})


@pytest.fixture
def api_with(migrated_url: str) -> Iterator[Callable[..., Api]]:
    """A factory: ``api_with(metrics_public=True)`` starts a server with those API settings."""
    running: list[Iterator[Api]] = []

    def start(**options: object) -> Api:
        served = _serve(migrated_url, options)
        running.append(served)
        return next(served)

    yield start
    for served in running:
        next(served, None)  # runs the teardown


@pytest.fixture
def fuzzed(api_with: Callable[..., Api]) -> Api:
    """A server for the fuzzing files whose route long-polls give up at once, so generated
    waits stay short."""
    return api_with(route_wait_max_s=0.05)
