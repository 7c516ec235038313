"""Keep a Guard's RouteState current by polling a source off the request path."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from redline.domain import RouteState
from redline.guard.outage import Outage

__all__ = ["RouteWatcher"]

log = logging.getLogger("redline.guard")


class RouteWatcher:
    """Polls ``fetch`` every ``interval_s`` and hands newer revisions to ``apply``.

    ``fetch`` returns the latest RouteState or None. While it fails the Guard keeps serving
    under the last state it applied; polls back off up to ``max_backoff_s`` and the outage is
    logged once, with its length when it ends (``stale_s`` says how old the route is).
    ``apply`` may refuse a state by raising (for instance when the version it names cannot be
    loaded); that revision is then retried after ``refused_retry_s``, doubling each time, not
    on every poll.
    """

    def __init__(
        self,
        fetch: Callable[[], RouteState | None],
        apply: Callable[[RouteState], None],
        *,
        interval_s: float = 0.2,
        name: str = "redline-route",
        max_backoff_s: float = 5.0,
        refused_retry_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self._fetch = fetch
        self._apply = apply
        self.interval_s = interval_s
        self.refused_retry_s = refused_retry_s
        self._clock = clock
        self._outage = Outage(min_s=interval_s, max_s=max(interval_s, max_backoff_s))
        self._wait_s = interval_s
        self._fetched_at = clock()
        #: revision -> (when to try it again, the wait after that)
        self._refused: dict[int, tuple[float, float]] = {}
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

    @property
    def stopped(self) -> bool:
        """Whether ``stop`` was called (the Guard is closing)."""
        return self._stop.is_set()

    @property
    def stale_s(self) -> float:
        """Seconds since the route source last answered."""
        return max(self._clock() - self._fetched_at, 0.0)

    def check_once(self) -> bool:
        """Fetch and apply once; True when a newer revision was applied."""
        with self._checking:
            return self._check()

    def _check(self) -> bool:
        try:
            state = self._fetch()
        except Exception as exc:
            self.failures += 1
            message = "redline cannot read the route (%s); the last route stays in force, retrying"
            self._wait_s = self._outage.failed(message, exc)
            return False
        self._fetched_at = self._clock()
        self._wait_s = self.interval_s
        self._outage.recovered("redline reads the route again after %.1f s")
        if state is None or state.revision <= self.applied_revision or self._waiting(state):
            return False
        try:
            self._apply(state)
        except Exception as exc:
            self.failures += 1
            self._refuse(state.revision, exc)
            return False
        self._refused.clear()
        self.applied_revision = state.revision
        return True

    def _waiting(self, state: RouteState) -> bool:
        """True while a refused revision waits for its next try."""
        entry = self._refused.get(state.revision)
        return entry is not None and self._clock() < entry[0]

    def _refuse(self, revision: int, exc: Exception) -> None:
        wait_s = self._refused.get(revision, (0.0, self.refused_retry_s / 2))[1] * 2
        self._refused = {revision: (self._clock() + wait_s, wait_s)}
        log.warning(
            "redline cannot apply route revision %s (%s); the last route stays in force, "
            "next try in %.0f s",
            revision,
            exc,
            wait_s,
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            self.check_once()
            self._wake.wait(self._wait_s)
            self._wake.clear()
