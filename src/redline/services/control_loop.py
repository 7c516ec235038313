"""The control loop: claim stored windows and respond, run canaries, end containments whose exit
criteria hold, advance incidents, watch SLAs, send the outbox. ``redline worker`` runs it in a
process of its own; an embedded Guard's local control plane runs it on a thread of its own."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from redline.errors import StoreError
from redline.notify import Notifier
from redline.services.canary_runs import CanaryRun, ServiceCanaries
from redline.services.control_jobs import advance_open_incidents, deliver_notifications
from redline.services.control_slas import escalate_unacknowledged, escalate_uncontained
from redline.services.exits import start_due_restores
from redline.services.ingest import respond_to_windows
from redline.services.response import ResponsePlan
from redline.services.snapshot_completion import complete_pending_snapshots, deferring_copies
from redline.services.workers import WorkerHeartbeat
from redline.store import Store

__all__ = ["MAX_BATCHES_PER_TICK", "ControlLoop", "TickSummary", "is_store_failure"]

log = logging.getLogger("redline.worker")

#: Batches of windows one tick takes at most before it turns to incidents and notifications.
MAX_BATCHES_PER_TICK = 20


@dataclass
class TickSummary:
    """What one tick did, and what failed."""

    windows: int = 0
    canaries_run: list[str] = field(default_factory=list)
    canaries_failed: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    snapshots_completed: list[str] = field(default_factory=list)
    advanced: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    escalated_uncontained: list[str] = field(default_factory=list)
    notifications_sent: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: TickSummary) -> None:
        """Fold another tick's counts into this one."""
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def add_canary_runs(self, runs: list[CanaryRun]) -> None:
        """Count canary runs as ``model/canary`` names (a skipped run counts nothing)."""
        self.canaries_run += [f"{run.model}/{name}" for run in runs for name in run.ran]
        self.canaries_failed += [f"{run.model}/{name}" for run in runs for name in run.failed]

    @property
    def changed(self) -> bool:
        """Whether the tick may have changed a route (windows responded to, restores, moves)."""
        return bool(self.windows or self.restored or self.advanced or self.canaries_failed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)


def is_store_failure(exc: Exception) -> bool:
    """Whether ``exc`` says the store is away or busy (lost connections keep the driver's type)."""
    return isinstance(exc, StoreError) or type(exc).__module__.startswith(("sqlalchemy", "psycopg"))


class ControlLoop:
    """Claims stored work and calls the services that respond to it; ``run`` until told to stop."""

    #: What the log calls this loop.
    label = "control loop"
    #: Whether ``run`` keeps a heartbeat in the store (``redline worker``: the API then
    #: stores windows only, ``api.evaluate = auto``); a single ``tick`` never does.
    announces_alive: ClassVar[bool] = False

    def __init__(
        self,
        store: Store,
        *,
        plan: ResponsePlan | None = None,
        notifier: Notifier | None = None,
        canaries: ServiceCanaries | None = None,
        interval_s: float = 1.0,
        batch: int = 50,
        max_backoff_s: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if interval_s <= 0 or batch < 1:
            raise ValueError("a control loop needs interval_s > 0 and batch >= 1")
        self.store = store
        self.plan = plan if plan is not None else ResponsePlan()
        self.notifier = notifier if notifier is not None else Notifier(self.plan.channels)
        self.canaries = canaries
        self.interval_s, self.batch, self.max_backoff_s = interval_s, batch, max_backoff_s
        self.clock = clock
        self._store_down_since: float | None = None  # monotonic time the store went away
        self.heartbeat: WorkerHeartbeat | None = None  # while ``run`` runs

    def tick(self, *, max_batches: int | None = MAX_BATCHES_PER_TICK) -> TickSummary:
        """Do every job once; a failing job is logged and counted, the others still run.

        Windows are claimed batch after batch until one comes back short, or ``max_batches``
        (None: no limit, to drain the backlog) were taken.
        """
        summary = self.respond(max_batches=max_batches)
        self.deliver(summary)
        self._log(summary)
        self._store_answered(summary)
        return summary

    def respond(
        self,
        *,
        max_batches: int | None = MAX_BATCHES_PER_TICK,
        after_windows: Callable[[TickSummary], object] | None = None,
    ) -> TickSummary:
        """Every job but the outbox: windows, snapshots, canaries, restores, incidents, SLAs.

        ``after_windows`` hears of the windows' responses before the other jobs run (a Guard
        in this process takes its new route at once); only then are the bytes of the snapshots
        they took copied.
        """
        summary = TickSummary()
        # Evidence bytes wait until the route the responses changed is served (below).
        with deferring_copies() as deferred:
            self._guard(summary, "windows", lambda s: self._respond(s, max_batches))
        if after_windows is not None and summary.windows:
            after_windows(summary)
        now = self.clock()
        # The responses' snapshots, then any whose copy a crash interrupted.
        self._guard(
            summary,
            "snapshots",
            lambda s: s.snapshots_completed.extend(
                complete_pending_snapshots(self.store, first=deferred, now=now)
            ),
        )
        if self.canaries is not None:
            # After the windows: a route their response changed is checked in this same tick.
            canaries = self.canaries
            self._guard(summary, "canaries", lambda s: s.add_canary_runs(canaries.run_due(now=now)))
        store, plan = self.store, self.plan
        self._guard(
            summary,
            "exits",
            lambda s: s.restored.extend(
                start_due_restores(store, now=now, exit_windows=plan.exit_windows)
            ),
        )
        self._guard(
            summary,
            "incidents",
            lambda s: s.advanced.extend(advance_open_incidents(store, plan=plan, now=now)),
        )
        self._guard(summary, "slas", lambda s: self._watch_slas(s, now))
        return summary

    def deliver(self, summary: TickSummary) -> None:
        """Send the notification outbox (network I/O: after every response has committed)."""
        now = self.clock()
        self._guard(
            summary,
            "notifications",
            lambda s: setattr(
                s, "notifications_sent", deliver_notifications(self.store, self.notifier, now=now)
            ),
        )

    @staticmethod
    def _log(summary: TickSummary) -> None:
        if summary.canaries_run:
            log.info(
                "ran %d canaries; failed: %s",
                len(summary.canaries_run),
                ", ".join(summary.canaries_failed) or "none",
            )
        escalated = summary.escalated + summary.escalated_uncontained
        moved = summary.advanced or summary.restored
        if summary.windows or moved or escalated or summary.notifications_sent:
            log.info(
                "responded to %d windows; restoring %s; advanced %s; escalated %s; "
                "sent %d notifications",
                summary.windows,
                ", ".join(summary.restored) or "none",
                ", ".join(summary.advanced) or "none",
                ", ".join(escalated) or "none",
                summary.notifications_sent,
            )

    def _watch_slas(self, summary: TickSummary, now: datetime) -> None:
        summary.escalated += escalate_unacknowledged(self.store, plan=self.plan, now=now)
        summary.escalated_uncontained += escalate_uncontained(self.store, plan=self.plan, now=now)

    def _respond(self, summary: TickSummary, max_batches: int | None) -> None:
        taken = 0
        while max_batches is None or taken < max_batches:
            if self.heartbeat is not None:  # renewed through a long backlog too
                self.heartbeat.beat()
            done = respond_to_windows(
                self.store, plan=self.plan, batch=self.batch, clock=self.clock
            )
            summary.windows += len(done)
            taken += 1
            if len(done) < self.batch:
                return

    def _guard(self, summary: TickSummary, job: str, run: Callable[[TickSummary], object]) -> None:
        try:
            run(summary)
        except Exception as exc:  # the loop outlives any one job's failure
            summary.errors.append(f"{job}: {exc}")
            if is_store_failure(exc):
                self._store_failed(job, exc)
            else:
                log.exception("%s failed", job)

    def _stop_heartbeat(self) -> None:
        """Take the heartbeat back (the store being away, it runs out by itself)."""
        heartbeat, self.heartbeat = self.heartbeat, None
        if heartbeat is None:
            return
        try:
            heartbeat.stop()
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            log.info("%s could not take its heartbeat back: %s", self.label, exc)

    def _store_failed(self, job: str, exc: Exception) -> None:
        """One line when the store becomes unavailable, not one per job and tick."""
        if self._store_down_since is None:
            self._store_down_since = time.monotonic()
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            log.warning("%s: the store is unavailable or busy: %s; retrying", job, first)

    def _store_answered(self, summary: TickSummary) -> None:
        """One line when a tick after an outage ran without errors, with the outage's length."""
        if self._store_down_since is not None and not summary.errors:
            down_s = time.monotonic() - self._store_down_since
            self._store_down_since = None
            log.warning("the store is available again after %.1f s", down_s)

    def _next_wait_s(self, summary: TickSummary, delay: float) -> float:
        """Seconds until the next tick: none while full batches keep coming."""
        return 0.0 if summary.windows >= self.batch and not summary.errors else delay

    def run(self, stop: threading.Event, *, wake: threading.Event | None = None) -> TickSummary:
        """Tick every ``interval_s`` (or when ``wake`` is set) until ``stop``; back off on failures."""
        log.info(
            "%s started: %r, every %.2f s, batches of %d",
            self.label,
            self.store,
            self.interval_s,
            self.batch,
        )
        total, ticks, delay = TickSummary(), 0, self.interval_s
        if self.announces_alive:
            self.heartbeat = WorkerHeartbeat(self.store, interval_s=self.interval_s)
        try:
            while not stop.is_set():
                if wake is not None:
                    wake.clear()
                summary = self.tick()
                total.add(summary)
                ticks += 1
                if summary.errors:
                    delay = min(max(delay, self.interval_s) * 2, self.max_backoff_s)
                    level = logging.DEBUG if self._store_down_since is not None else logging.WARNING
                    log.log(
                        level,
                        "tick %d had %d errors; next try in %.1f s",
                        ticks,
                        len(summary.errors),
                        delay,
                    )
                else:
                    delay = self.interval_s
                if _wait(stop, wake, self._next_wait_s(summary, delay)):
                    break
        finally:
            self._stop_heartbeat()
        log.info(
            "%s stopped after %d ticks: %d windows responded to", self.label, ticks, total.windows
        )
        return total


def _wait(stop: threading.Event, wake: threading.Event | None, timeout_s: float) -> bool:
    """Wait up to ``timeout_s`` for ``stop`` or ``wake``; True when told to stop."""
    if wake is None:
        return stop.wait(timeout_s)
    wake.wait(timeout_s)
    return stop.is_set()
