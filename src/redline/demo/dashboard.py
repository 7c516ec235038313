"""The dashboard beside the demo: served from a thread on 127.0.0.1 when the API is installed."""

from __future__ import annotations

import importlib
import inspect
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from redline.settings import Settings, StoreSettings

__all__ = ["Dashboard", "start_dashboard"]


@dataclass
class Dashboard:
    """A running dashboard: its address, a one-time admin token, and the server to stop."""

    url: str
    token: str | None
    server: Any
    thread: threading.Thread

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the server to finish and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout_s)


def _optional(module: str, name: str) -> Any:
    """``module.name`` when that module exists in this build, else None."""
    # The API is a sibling entry point built alongside the demo; the demo runs without it.
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _token(store: Any) -> str | None:
    """A one-time admin token for this run, when the API offers tokens."""
    create_token = _optional("redline.services.tokens", "create_token")
    if create_token is None:
        return None
    params = inspect.signature(create_token).parameters
    kwargs = {k: v for k, v in {"name": "redline demo", "role": "admin"}.items() if k in params}
    created = create_token(store, **kwargs)
    return str(created[0] if isinstance(created, tuple) else created)


def start_dashboard(url: str, store: Any, *, timeout_s: float = 10.0) -> Dashboard | None:
    """Serve ``redline.api.app.create_app`` for the store at ``url``; None if it does not exist."""
    create_app = _optional("redline.api.app", "create_app")
    if create_app is None:
        return None
    import uvicorn

    app = create_app(Settings(store=StoreSettings(url=url)))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="redline-demo-dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        return None
    return Dashboard(f"http://127.0.0.1:{port}", _token(store), server, thread)
