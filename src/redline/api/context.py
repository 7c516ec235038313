"""What every request handler reaches through ``request.app.state``: settings, store, route news."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry

from redline.settings import Settings
from redline.store import Store

__all__ = ["ApiContext", "ContextDep", "RouteChanges", "StoreDep", "get_context", "get_store"]


class RouteChanges:
    """Wakes long-polls when a request through this app may have changed a RouteState."""

    # Other processes (workers, other API replicas) change routes too: long-polls also
    # re-read the store on a timer, and this only makes local changes arrive sooner.

    def __init__(self) -> None:
        self.generation = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the event loop that serves the app (at startup)."""
        self._loop, self._event = loop, asyncio.Event()

    def notify(self) -> None:
        """Wake every waiter; safe to call from any thread."""
        if self._loop is not None and not self._loop.is_closed():
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


def get_context(request: Request) -> ApiContext:
    """The app's context."""
    context: ApiContext = request.app.state.redline
    return context


def get_store(request: Request) -> Store:
    """The app's store."""
    return get_context(request).store


ContextDep = Annotated[ApiContext, Depends(get_context)]
StoreDep = Annotated[Store, Depends(get_store)]
