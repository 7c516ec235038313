"""The worker loop: each tick respond to windows, run canaries, end containments whose exit
criteria hold, advance incidents, watch SLAs."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from redline.errors import StoreError
from redline.notify import Notifier
from redline.services.canary_runs import CanaryRun, ServiceCanaries
from redline.services.exits import start_due_restores
from redline.services.ingest import respond_to_windows
from redline.services.response import ResponsePlan
from redline.store import Store
from redline.worker.jobs import advance_open_incidents, deliver_notifications
from redline.worker.slas import escalate_unacknowledged, escalate_uncontained

__all__ = ["TickSummary", "Worker", "stop_on_signals"]

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
    advanced: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    escalated_uncontained: list[str] = field(default_factory=list)
    notifications_sent: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: TickSummary) -> None:
        """Fold another tick's counts into this one."""
        self.windows += other.windows
        self.canaries_run += other.canaries_run
        self.canaries_failed += other.canaries_failed
        self.restored += other.restored
        self.advanced += other.advanced
        self.escalated += other.escalated
        self.escalated_uncontained += other.escalated_uncontained
        self.notifications_sent += other.notifications_sent
        self.errors += other.errors

    def add_canary_runs(self, runs: list[CanaryRun]) -> None:
        """Count canary runs as ``model/canary`` names (a skipped run counts nothing)."""
        self.canaries_run += [f"{run.model}/{name}" for run in runs for name in run.ran]
        self.canaries_failed += [f"{run.model}/{name}" for run in runs for name in run.failed]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)


def _is_store_failure(exc: Exception) -> bool:
    # Lost connections inside a statement keep the database library's own type.
    return isinstance(exc, StoreError) or type(exc).__module__.startswith(("sqlalchemy", "psycopg"))


class Worker:
    """Claims stored work and calls the services that respond to it, until told to stop."""

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
            raise ValueError("a worker needs interval_s > 0 and batch >= 1")
        self.store = store
        self.plan = plan if plan is not None else ResponsePlan()
        self.notifier = notifier if notifier is not None else Notifier(self.plan.channels)
        self.canaries = canaries
        self.interval_s, self.batch, self.max_backoff_s = interval_s, batch, max_backoff_s
        self.clock = clock

    def tick(self, *, max_batches: int | None = MAX_BATCHES_PER_TICK) -> TickSummary:
        """Do every job once; a failing job is logged and counted, the others still run.

        Windows are claimed batch after batch until one comes back short, or ``max_batches``
        (None: no limit, to drain the backlog) were taken.
        """
        summary = TickSummary()
        self._guard(summary, "windows", lambda s: self._respond(s, max_batches))
        now = self.clock()
        if self.canaries is not None:
            # After the windows: a route their response changed is checked in this same tick.
            canaries = self.canaries
            self._guard(summary, "canaries", lambda s: s.add_canary_runs(canaries.run_due(now=now)))
        exit_windows = self.plan.exit_windows
        self._guard(
            summary,
            "exits",
            lambda s: s.restored.extend(
                start_due_restores(self.store, now=now, exit_windows=exit_windows)
            ),
        )
        self._guard(
            summary,
            "incidents",
            lambda s: s.advanced.extend(
                advance_open_incidents(self.store, plan=self.plan, now=now)
            ),
        )
        self._guard(summary, "slas", lambda s: self._watch_slas(s, now))
        self._guard(
            summary,
            "notifications",
            lambda s: setattr(
                s,
                "notifications_sent",
                deliver_notifications(self.store, self.notifier, now=now),
            ),
        )
        self._log(summary)
        return summary

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
            done = respond_to_windows(self.store, plan=self.plan, batch=self.batch)
            summary.windows += len(done)
            taken += 1
            if len(done) < self.batch:
                return

    def _guard(self, summary: TickSummary, job: str, run: Callable[[TickSummary], object]) -> None:
        try:
            run(summary)
        except Exception as exc:  # the loop outlives any one job's failure
            summary.errors.append(f"{job}: {exc}")
            if _is_store_failure(exc):
                log.warning(
                    "%s: the store is unavailable or busy: %s", job, str(exc).splitlines()[0]
                )
            else:
                log.exception("%s failed", job)

    def run(self, stop: threading.Event) -> TickSummary:
        """Tick every ``interval_s`` until ``stop`` is set, backing off while ticks fail."""
        log.info(
            "worker started: %r, every %.2f s, batches of %d",
            self.store,
            self.interval_s,
            self.batch,
        )
        total, ticks, delay = TickSummary(), 0, self.interval_s
        while not stop.is_set():
            summary = self.tick()
            total.add(summary)
            ticks += 1
            if summary.errors:
                delay = min(max(delay, self.interval_s) * 2, self.max_backoff_s)
                log.warning(
                    "tick %d had %d errors; next try in %.1f s", ticks, len(summary.errors), delay
                )
            else:
                delay = self.interval_s
            if stop.wait(0 if summary.windows >= self.batch and not summary.errors else delay):
                break
        log.info("worker stopped after %d ticks: %d windows responded to", ticks, total.windows)
        return total


def stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM or SIGINT (main thread only); returns what restores the handlers."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: stopping after the current tick", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
