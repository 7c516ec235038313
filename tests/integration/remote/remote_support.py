"""A redline service that can be stopped and started again on the same port and database."""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import time
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np

import redline
from redline.api import create_app
from redline.api.server import ApiServer
from redline.domain import Level, Signal
from redline.guard.sinks import ClosedWindow, Sink
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.tokens import create_token
from redline.settings import ApiSettings, Settings, StoreSettings
from redline.store import Store, list_windows

MODEL = "remote"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def fit_reference() -> Reference:
    """A small reference: one numeric feature, one categorical, a score."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=5_000)
    data = {"x": x, "region": rng.choice(["n", "s"], 5_000), "score": 2 * x}
    return redline.fit_reference(data, prediction="score", window_sizes=[300, 1_000])


def canary_failure() -> Signal:
    """A CRITICAL canary failure of MODEL: the policy snapshots, then flips the kill switch."""
    return Signal(
        monitor="canary",
        kind="canary_failure",
        column=None,
        statistic="failed",
        value=1.0,
        threshold=0.0,
        level=Level.CRITICAL,
        model=MODEL,
    )


def closed_window(reference: Reference, index: int, *, n: int = 200) -> ClosedWindow:
    """A closed window ``w-<index>`` of ``n`` rows, as a Guard hands it to its sink."""
    rng = np.random.default_rng(index)
    x = rng.normal(0.0, 1.0, n)
    start = START + timedelta(minutes=index)
    data = {"x": x, "region": rng.choice(["n", "s"], n), "score": 2 * x}
    window = WindowProfile.of(
        reference, data, start=start, end=start + timedelta(seconds=59), window_id=f"w-{index}"
    )
    window.routes = {"primary": n}
    return ClosedWindow(model=MODEL, window=window)


class Service:
    """``create_app(settings)`` served by uvicorn on 127.0.0.1 on a migrated database; restarts
    keep port and database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.store: Store = Store.from_url(url)
        self.tokens = {
            role: create_token(self.store, name=f"{role}-remote", role=role)[0]
            for role in ("viewer", "responder")
        }
        self.port = 0
        self.server: ApiServer | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, the same across restarts."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Service:
        """Serve a new app on the database (and on the port of the last start, if any)."""
        values: dict[str, Any] = {"route_poll_s": 0.2}
        settings = Settings(store=StoreSettings(url=self.url), api=ApiSettings(**values))
        server = ApiServer(
            create_app(settings), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = server.start()
        self.port = server.port
        return self

    def stop(self) -> None:
        """Stop serving (the port then refuses connections)."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def client(self, role: str) -> httpx.Client:
        """An HTTP client sending the token of ``role``."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30.0)

    def window_ids(self) -> list[str]:
        """Ids of the model's stored windows, oldest first."""
        with self.store.session() as session:
            return [row.id for row in list_windows(session, model=MODEL, limit=100_000)]

    def close(self) -> None:
        """Stop and release the store."""
        self.stop()
        self.store.dispose()


@dataclass
class TeeSink:
    """Notes the id of each window on its way to ``sink``."""

    sink: Sink
    ids: list[str] = field(default_factory=list)

    def write(self, closed: ClosedWindow) -> None:
        """Note the id, then hand the window on."""
        self.ids.append(closed.window.window_id)
        self.sink.write(closed)

    def close(self) -> None:
        """Close the sink."""
        self.sink.close()


def _serve_forever(url: str, port: int) -> None:
    settings = Settings(store=StoreSettings(url=url), api=ApiSettings(route_poll_s=0.2))
    ApiServer(create_app(settings), host="127.0.0.1", port=port, log_level="warning").run()


class ServeProcess:
    """The service in a process of its own, which a test can kill outright (SIGKILL).

    Forked from the test process, so it starts without importing redline again.
    """

    def __init__(self, url: str, port: int) -> None:
        self.url = url
        self.port = port
        self.process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> ServeProcess:
        """Start serving and wait until ``/healthz`` answers."""
        context = multiprocessing.get_context("fork")
        self.process = context.Process(target=_serve_forever, args=(self.url, self.port))
        with warnings.catch_warnings():
            # Python 3.12+ warns about fork with threads running; the child only serves, and
            # logging (the one lock it shares with them) re-creates its locks after a fork.
            warnings.simplefilter("ignore", DeprecationWarning)
            self.process.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).is_success:
                    return self
            except httpx.TransportError:
                pass
            assert self.process.is_alive(), "the service process exited"
            assert time.monotonic() < deadline, "the service process did not answer"
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, requests in flight are cut."""
        if self.process is not None:
            self.process.kill()
            self.process.join(timeout=30)
            self.process.close()
            self.process = None
