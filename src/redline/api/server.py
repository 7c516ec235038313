"""Serving the app with uvicorn on a socket bound up front, so port 0 gives a known port."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

__all__ = ["ApiServer"]

#: Long-polls still open at shutdown get this long to finish before they are cancelled.
GRACEFUL_SHUTDOWN_S = 3
_STARTUP_TIMEOUT_S = 30.0


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class ApiServer:
    """uvicorn serving ``app`` on ``host:port`` (0 picks a free port); run or start in a thread."""

    def __init__(self, app: FastAPI, *, host: str, port: int, log_level: str = "info") -> None:
        self.host = host
        self.socket = _bind(host, port)
        config = uvicorn.Config(
            app, log_level=log_level, timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the socket is bound to."""
        return int(self.socket.getsockname()[1])

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8765``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C or SIGTERM)."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()

    def start(self) -> ApiServer:
        """Serve from a background thread; returns once the server accepts connections."""
        self._thread = threading.Thread(target=self.run, name="redline-api", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start; see its log")
            time.sleep(0.01)
        return self

    @property
    def running(self) -> bool:
        """Whether the background thread started by ``start`` still serves."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Ask the server to shut down and wait for its thread."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=GRACEFUL_SHUTDOWN_S + 10)
