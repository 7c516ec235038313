"""Whether a ``redline worker`` is alive: workers say so in the store, the API asks.

A worker writes one heartbeat (``heartbeat:workers``: the time until which it vouches for
itself) when it starts ticking and again every third of that time, and takes it back when it
stops. With ``api.evaluate = auto`` the API stores windows only while a heartbeat holds, and
responds inline otherwise. Windows stored while a worker was alive stay unevaluated until
some worker (or an embedded Guard's control loop) claims them. Heartbeats use the wall
clock, not a loop's injected clock: they say whether a process is alive now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from redline.store import Store, get_heartbeat, save_heartbeat

__all__ = ["ALIVE_FOR_S", "WorkerHeartbeat", "WorkerPresence", "is_worker_alive"]

#: Seconds one heartbeat vouches for a worker (at least three of its ticks).
ALIVE_FOR_S = 15.0
WORKERS = "workers"


def _wall_now() -> datetime:
    return datetime.now(UTC)


class WorkerHeartbeat:
    """A worker's heartbeat: ``beat()`` as often as it likes; the store is written every third
    of the time one heartbeat vouches for."""

    def __init__(self, store: Store, *, interval_s: float) -> None:
        self.store = store
        self.alive_for_s = max(ALIVE_FOR_S, 3 * interval_s)
        self._written_at: float | None = None  # monotonic time of the last write

    def beat(self) -> bool:
        """Write the heartbeat if the last one is a third of the way through; True if written."""
        started = time.monotonic()
        if self._written_at is not None and started - self._written_at < self.alive_for_s / 3:
            return False
        until = _wall_now() + timedelta(seconds=self.alive_for_s)
        with self.store.session() as session:
            save_heartbeat(session, name=WORKERS, until=until)
        self._written_at = started
        return True

    def stop(self) -> None:
        """Take the heartbeat back: the API responds inline until a worker beats again."""
        self._written_at = None
        with self.store.session() as session:
            save_heartbeat(session, name=WORKERS, until=_wall_now())


def is_worker_alive(store: Store, *, now: datetime | None = None) -> bool:
    """Whether a worker's heartbeat holds at ``now`` (default: the wall clock)."""
    with store.reading() as session:
        until = get_heartbeat(session, name=WORKERS)
    return until is not None and until > (now if now is not None else _wall_now())


class WorkerPresence:
    """:func:`is_worker_alive`, read from the store at most every ``recheck_s`` seconds."""

    def __init__(
        self,
        store: Store,
        *,
        recheck_s: float = 1.0,
        clock: Callable[[], datetime] = _wall_now,
    ) -> None:
        self.store, self.recheck_s, self.clock = store, recheck_s, clock
        self._checked: tuple[float, bool] | None = None  # (monotonic time, answer)

    def alive(self) -> bool:
        """Whether a worker is alive (an answer at most ``recheck_s`` old)."""
        checked, now = self._checked, time.monotonic()
        if checked is not None and now - checked[0] < self.recheck_s:
            return checked[1]
        answer = is_worker_alive(self.store, now=self.clock())
        self._checked = (now, answer)
        return answer
