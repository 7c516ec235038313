"""Keep a Guard's RouteState current by polling a source off the request path."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from redline.domain import RouteState

__all__ = ["RouteWatcher"]

log = logging.getLogger("redline.guard")


class RouteWatcher:
    """Polls ``fetch`` every ``interval_s`` and hands newer revisions to ``apply``.

    ``fetch`` returns the latest RouteState or None; its failures are logged and the Guard
    keeps serving under the last state it applied. ``apply`` may refuse a state by raising
    (for instance when the version it names cannot be loaded); the same revision is then
    retried on the next poll.
    """

    def __init__(
        self,
        fetch: Callable[[], RouteState | None],
        apply: Callable[[RouteState], None],
        *,
        interval_s: float = 0.2,
        name: str = "redline-route",
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._fetch = fetch
        self._apply = apply
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._checking = threading.Lock()  # the thread and flush() may check at once
        self.applied_revision = -1
        self.failures = 0

    def start(self) -> RouteWatcher:
        """Start polling."""
        self._thread.start()
        return self

    def poll_now(self) -> None:
        """Poll without waiting for the interval (e.g. after a change notification)."""
        self._wake.set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop polling."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def check_once(self) -> bool:
        """Fetch and apply once; True when a newer revision was applied."""
        with self._checking:
            return self._check()

    def _check(self) -> bool:
        try:
            state = self._fetch()
            if state is None or state.revision <= self.applied_revision:
                return False
            self._apply(state)
        except Exception:
            self.failures += 1
            log.exception("redline could not refresh the route state")
            return False
        self.applied_revision = state.revision
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check_once()
            self._wake.wait(self.interval_s)
            self._wake.clear()
