"""What every request handler reaches through ``request.app.state``: settings, store, route news."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from redline.services.response import ResponsePlan
from redline.services.store_access import RouteListener, Store
from redline.services.tokens import TokenTouches
from redline.services.workers import WorkerPresence
from redline.settings import Settings

__all__ = ["ApiContext", "ContextDep", "RouteChanges", "StoreDep", "get_context", "get_store"]


class RouteChanges:
    """Wakes long-polls when a RouteState may have changed.

    Changes made through this app wake them directly. On PostgreSQL a ``RouteListener``
    (LISTEN/NOTIFY) also wakes them for changes by workers and other API processes; on
    SQLite, or while the listener is disconnected, long-polls re-read the store on a timer.
    """

    def __init__(self, store: Store | None = None) -> None:
        self.generation = 0
        self.store = store
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._listener: RouteListener | None = None
        self._stopper: asyncio.Task[None] | None = None

    @property
    def pushed(self) -> bool:
        """True while the database announces every route change, so waiting needs no timer."""
        return self._listener is not None and self._listener.connected

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the event loop that serves the app (at startup); listen to the store."""
        self._loop, self._event = loop, asyncio.Event()
        if self.store is not None and self._listener is None:
            self._listener = RouteListener.for_store(self.store, lambda _model: self.notify())
            if self._listener is not None:
                self._listener.start()
                # Stopped with the loop: the task is cancelled when the server's loop ends.
                self._stopper = loop.create_task(self._stop_listener_with_loop())

    async def _stop_listener_with_loop(self) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            self.close()

    def close(self) -> None:
        """Stop listening to the database."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()

    def notify(self) -> None:
        """Wake every waiter; safe to call from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between: nobody waits
                self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self.generation += 1
        if self._event is not None:
            woken, self._event = self._event, asyncio.Event()
            woken.set()

    async def wait(self, generation: int, timeout_s: float) -> None:
        """Return when a change after ``generation`` is announced, or after ``timeout_s``."""
        if self._event is None or self.generation != generation:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout=max(timeout_s, 0.0))


@dataclass
class ApiContext:
    """The app's shared state."""

    settings: Settings
    store: Store
    metrics: CollectorRegistry
    routes: RouteChanges = field(default_factory=RouteChanges)
    #: How every responding route (windows, their labels, alert receivers) responds.
    plan: ResponsePlan = field(default_factory=ResponsePlan)
    #: Where requests hand a token's last use, to be written off the request path.
    touches: TokenTouches | None = None
    #: Whether a worker is alive (``api.evaluate = auto``), read at most once a second.
    workers: WorkerPresence | None = None

    def __post_init__(self) -> None:
        if self.routes.store is None:
            self.routes.store = self.store
        if self.workers is None:
            self.workers = WorkerPresence(self.store)

    def stores_only(self) -> bool:
        """Whether ingested windows are only stored, for a worker to respond to."""
        evaluate = self.settings.api.evaluate
        if evaluate == "auto":
            return self.workers is not None and self.workers.alive()
        return evaluate == "worker"


def get_context(request: Request) -> ApiContext:
    """The app's context."""
    context: ApiContext = request.app.state.redline
    return context


def get_store(request: Request) -> Store:
    """The app's store."""
    return get_context(request).store


ContextDep = Annotated[ApiContext, Depends(get_context)]
StoreDep = Annotated[Store, Depends(get_store)]
