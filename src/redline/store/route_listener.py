"""PostgreSQL LISTEN for RouteState changes: a thread that calls back with each changed model.

``add_route_state`` sends ``pg_notify('redline_route', model)`` in the writer's transaction,
so PostgreSQL delivers it only once the new revision is committed and readable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import make_url

from redline.store.engine import Store

__all__ = ["ROUTE_CHANNEL", "RouteListener"]

#: The notification channel route changes are announced on; the payload is the model name.
ROUTE_CHANNEL = "redline_route"
#: How often the listening thread looks up from its socket to see whether it should stop.
POLL_S = 0.25
CONNECT_TIMEOUT_S = 5

log = logging.getLogger("redline.store")


class RouteListener:
    """Calls ``callback(model)`` for every committed RouteState change, from its own thread.

    On (re)connecting it calls ``callback(None)``: changes made while it was away were not
    announced, so listeners should re-read whatever they wait for. When the database goes
    away it retries with exponential backoff, from ``backoff_s`` up to ``max_backoff_s``.
    """

    def __init__(
        self,
        url: str,
        callback: Callable[[str | None], None],
        *,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
    ) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ValueError(f"LISTEN/NOTIFY needs PostgreSQL, not {parsed.get_backend_name()}")
        self._conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._callback = callback
        self._backoff_s, self._max_backoff_s = backoff_s, max_backoff_s
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self.backend_pid: int | None = None

    @classmethod
    def for_store(
        cls, store: Store, callback: Callable[[str | None], None]
    ) -> RouteListener | None:
        """A listener on ``store``'s database, or None when it is not PostgreSQL."""
        if store.engine.dialect.name != "postgresql":
            return None
        return cls(store.engine.url.render_as_string(hide_password=False), callback)

    @property
    def connected(self) -> bool:
        """True while the listener holds a connection that is listening."""
        return self._connected.is_set()

    def start(self) -> RouteListener:
        """Start listening in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="redline-route-listen", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop listening and wait for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    def _run(self) -> None:
        delay = self._backoff_s
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:  # any failure of the database: log, wait, reconnect
                if self._connected.is_set():  # it was up: start the backoff over
                    delay = self._backoff_s
                log.warning("route listener lost the database, retrying in %.1f s: %s", delay, exc)
            finally:
                if self._connected.is_set():
                    self._connected.clear()
                    self._callback(None)  # waiters fall back to reading the store themselves
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, self._max_backoff_s)

    def _listen(self) -> None:
        import psycopg  # the PostgreSQL driver, present wherever a PostgreSQL store is used

        with psycopg.connect(
            self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S
        ) as connection:
            connection.execute(f"LISTEN {ROUTE_CHANNEL}")
            self.backend_pid = connection.info.backend_pid  # what an operator would terminate
            self._connected.set()
            log.info("listening for route changes on %r", ROUTE_CHANNEL)
            self._callback(None)
            while not self._stop.is_set():
                for notice in connection.notifies(timeout=POLL_S):
                    self._callback(notice.payload)
