"""Say when a Guard's control path stalls: a route nobody refreshed, a window thread stuck.

A thread of its own reads two ages the Guard's other threads keep (no I/O, no locks the request
path takes): how long since the route source last answered, and how long the window thread has
been inside one window's close and hand-over. Each crossing its threshold starts an episode,
logged once as a warning, and its end once more; ``GuardHealth`` holds the numbers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass

__all__ = ["ROUTE_STALE_S", "WINDOW_BLOCKED_S", "Episode", "GuardHealth", "Watchdog"]

log = logging.getLogger("redline.guard")

#: Seconds without an answer from the route source before the route counts as stale.
ROUTE_STALE_S = 30.0
#: Seconds inside one window's close and hand-over before the window thread counts as blocked.
WINDOW_BLOCKED_S = 30.0


@dataclass(frozen=True)
class GuardHealth:
    """A Guard's control path now: the route's age, the window thread's time in one window."""

    #: Seconds since the route source last answered (None: the Guard follows no route).
    route_age_s: float | None
    #: Seconds the window thread has spent in the window it is closing (0 when idle).
    window_thread_busy_s: float
    route_stale: bool
    window_thread_blocked: bool
    windows_closed: int
    rows_dropped: int
    route_revision: int

    def to_dict(self) -> dict[str, float | int | bool | None]:
        """A JSON-ready form."""
        return asdict(self)


class Episode:
    """A condition that holds while a number of seconds is past ``threshold_s``: one line when
    it starts (warning), one when it ends (info, with the longest value seen)."""

    def __init__(self, threshold_s: float, started: str, ended: str) -> None:
        if threshold_s < 0:
            raise ValueError("a threshold is a number of seconds, at least 0")
        self.threshold_s = threshold_s
        self._started, self._ended = started, ended
        self.peak_s: float | None = None  # None: not in an episode
        self.count = 0

    @property
    def ongoing(self) -> bool:
        """True from the crossing until the value falls back."""
        return self.peak_s is not None

    def update(self, value_s: float | None, *args: object) -> bool:
        """Note the current value (None: not measured); True while the episode lasts."""
        past = value_s is not None and value_s > self.threshold_s
        if past and self.peak_s is None:
            self.peak_s = value_s
            self.count += 1
            log.warning(self._started, *args, value_s)
        elif past and self.peak_s is not None and value_s is not None:
            self.peak_s = max(self.peak_s, value_s)
        elif not past and self.peak_s is not None:
            log.info(self._ended, *args, self.peak_s)
            self.peak_s = None
        return self.ongoing


class Watchdog:
    """Checks a Guard's route age and window thread every ``interval_s`` on a thread of its own."""

    def __init__(
        self,
        *,
        model: str,
        route_age_s: Callable[[], float | None],
        window_busy_s: Callable[[], float],
        route_revision: Callable[[], int],
        route_stale_s: float = ROUTE_STALE_S,
        window_blocked_s: float = WINDOW_BLOCKED_S,
        interval_s: float | None = None,
    ) -> None:
        self.model = model
        self._route_age_s, self._window_busy_s = route_age_s, window_busy_s
        self._route_revision = route_revision
        self.route = Episode(
            route_stale_s,
            "redline's route of %s is stale: its source has not answered for %.0f s; "
            "the last route stays in force",
            "redline's route of %s is fresh again (it went %.0f s without an answer)",
        )
        self.window = Episode(
            window_blocked_s,
            "redline's window thread of %s is blocked: %.0f s inside one window's close and "
            "hand-over; newer windows wait",
            "redline's window thread of %s is free again after %.0f s in one window",
        )
        shortest = min(route_stale_s, window_blocked_s)
        self.interval_s = (
            interval_s if interval_s is not None else min(max(shortest / 10, 0.1), 5.0)
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"redline-watchdog-{model}", daemon=True
        )

    def start(self) -> Watchdog:
        """Start checking."""
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop checking."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def check(self) -> tuple[bool, bool]:
        """Read both ages now, log what started or ended; (route stale, window thread blocked)."""
        stale = self.route.update(self._route_age_s(), self.model)
        blocked = self.window.update(self._window_busy_s(), self.model)
        return stale, blocked

    def health(self, *, windows_closed: int, rows_dropped: int) -> GuardHealth:
        """The numbers now, against the thresholds (reads only; the thread does the logging)."""
        route_age_s, busy_s = self._route_age_s(), self._window_busy_s()
        return GuardHealth(
            route_age_s=route_age_s,
            window_thread_busy_s=busy_s,
            route_stale=route_age_s is not None and route_age_s > self.route.threshold_s,
            window_thread_blocked=busy_s > self.window.threshold_s,
            windows_closed=windows_closed,
            rows_dropped=rows_dropped,
            route_revision=self._route_revision(),
        )

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # the watchdog must outlive a bug in what it reads
                log.exception("redline's watchdog of %s could not check", self.model)
