"""The local control plane: an embedded Guard's store, and the control loop on a thread of its own.

The Guard's window thread only writes each closed window (one transaction, or the disk spool);
triage, containment, restores, SLAs and the notification outbox run on the loop's thread, woken
as soon as a window is written, so a dead webhook or a slow response never holds the Guard.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any
from urllib.parse import quote

from redline.domain import RouteState
from redline.errors import StoreError
from redline.guard.environment import LOCAL_FINGERPRINT
from redline.guard.sinks import ClosedWindow
from redline.notify import Notifier
from redline.profiles.reference import Reference
from redline.services.catalog import ReferenceNotFoundError, get_reference, save_reference
from redline.services.control_loop import MAX_BATCHES_PER_TICK, ControlLoop, TickSummary
from redline.services.environments import record_local_environment
from redline.services.registry import load_version
from redline.services.response import ResponsePlan
from redline.services.routes import route_source
from redline.services.store_sink import StoreSink
from redline.settings import get_settings
from redline.store import Store, list_unevaluated_windows, sqlite_file, upgrade

__all__ = ["LocalControlPlane", "default_spool_dir", "keep_reference", "open_local_plane"]

log = logging.getLogger("redline.services")

Predict = Callable[[Any], Any]

#: Seconds before trying again a window another process held the model's lock over.
RETRY_S = 0.05
MAX_RETRIES = 100


def keep_reference(
    store: Store, model: str, reference: Reference, *, now: datetime | None = None
) -> None:
    """Store the Guard's reference unless it is already the model's latest: triage, blame,
    backtests and the dashboard judge stored windows against it."""
    try:
        stored, _ = get_reference(store, model=model)
    except ReferenceNotFoundError:
        stored = None
    if stored != reference.content_hash:
        body, actor = reference.to_dict(), f"guard:{model}"
        save_reference(store, model=model, body=body, actor=actor, now=now)


class _LocalLoop(ControlLoop):
    """The control loop with the plane's own steps: spool first, then tell the Guard."""

    def __init__(self, plane: LocalControlPlane, store: Store, **options: Any) -> None:
        super().__init__(store, **options)
        self.plane = plane
        self.waiting, self.retries, self.gave_up = False, 0, -1

    def _next_wait_s(self, summary: TickSummary, delay: float) -> float:
        return min(delay, RETRY_S) if self.waiting else super()._next_wait_s(summary, delay)

    def _hold_flushes(self, written: int, *, pending: bool) -> None:
        """Whether flushes wait for another try: a window left unevaluated (another process held
        the model) is retried every RETRY_S, up to MAX_RETRIES per window written; an outage
        (``pending`` False) lets flushes go on rather than wait for the store."""
        if not pending:
            self.retries = 0
        elif written != self.gave_up:
            self.retries += 1
            if self.retries > MAX_RETRIES:  # a window that cannot be responded to at all
                self.gave_up, self.retries = written, 0
        self.waiting = pending and written != self.gave_up

    def tick(self, *, max_batches: int | None = MAX_BATCHES_PER_TICK) -> TickSummary:
        """Send the spool, respond, let waiting flushes go and the Guard re-read its route, page."""
        written = self.plane.written
        summary = TickSummary()
        self._guard(summary, "spool", lambda s: self.plane.prepare())
        if not summary.errors:  # a store that is away or not migrated has nothing to respond to
            summary = self.respond(
                max_batches=max_batches, after_windows=self.plane.route_may_change
            )
        if summary.changed and not summary.windows:  # restores, canaries: no call above
            self.plane.route_may_change(summary)
        self._hold_flushes(written, pending=not summary.errors and self.plane.unevaluated())
        if not self.waiting:
            self.plane.responded_to(written)
        self.deliver(summary)
        self._log(summary)
        return summary


class LocalControlPlane:
    """A Guard's :class:`~redline.guard.control.ControlPlane` on a store it reaches directly.

    ``migrate=True``: the store could not be migrated when the Guard started; the loop
    migrates it once it answers and the windows written meanwhile wait in the spool.
    ``on_change`` is called on the loop thread after a tick that may have changed a route.
    ``clock`` is the Guard's: restores, exits and SLAs are judged on the time its windows carry.
    ``close`` disposes of the store when ``owned``.
    """

    def __init__(
        self,
        store: Store,
        *,
        model: str,
        plan: ResponsePlan,
        reference: Reference,
        spool_path: str | os.PathLike[str],
        interval_s: float = 1.0,
        trust_artifacts: bool = False,
        migrate: bool = False,
        owned: bool = False,
        notifier: Notifier | None = None,
        on_change: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.model, self.reference = store, model, reference
        self.owned, self.trust_artifacts = owned, trust_artifacts
        self.on_change = on_change
        self.sink = StoreSink(store, spool_path=spool_path, migrate=migrate)
        self.loop = _LocalLoop(
            self, store, plan=plan, notifier=notifier, interval_s=interval_s, clock=clock
        )
        self._route = route_source(store, model=model)
        self._reference_kept = self._environment_recorded = False
        self.written = self._responded = 0
        self._settled = threading.Condition()
        self._stop, self._wake = threading.Event(), threading.Event()
        self._thread = threading.Thread(
            target=self.loop.run,
            args=(self._stop,),
            kwargs={"wake": self._wake},
            name=f"redline-control-{model}",
            daemon=True,
        )

    def start(self) -> LocalControlPlane:
        """Store the reference if the store answers, then start the loop's thread."""
        if not self.sink.migrate:
            self._keep_reference()
        LOCAL_FINGERPRINT.start()  # captured off the Guard's threads; recorded by the loop
        self._thread.start()
        return self

    # -- the Guard's side ----------------------------------------------------------------

    def write(self, closed: ClosedWindow) -> None:
        """Store the window (or spool it) and wake the loop; never raises."""
        try:
            self.sink.write(closed)
        except Exception:
            log.exception("could not write window %s of %s", closed.window.window_id, self.model)
        with self._settled:
            self.written += 1
        self._wake.set()

    def route(self) -> RouteState | None:
        """The model's stored RouteState (raises StoreError while the store is away)."""
        return self._route()

    def load(self, version: str) -> Predict:
        """A registered version of the model (sha256 checked)."""
        return load_version(
            self.store, model=self.model, version=version, trust=self.trust_artifacts
        )

    def settle(self, timeout_s: float) -> bool:
        """Wait until the loop has had a go at every window written so far (False on timeout).

        A tick that cannot reach the store counts: a flush does not wait for an outage to end.
        """
        with self._settled:
            target = self.written
            return self._settled.wait_for(
                lambda: self._responded >= target or not self._thread.is_alive(), timeout_s
            )

    def close(self, timeout_s: float = 10.0) -> None:
        """Respond to the last windows, stop the loop after its tick (waiting at most
        ``timeout_s`` in all), release the spool, dispose of an owned store."""
        deadline = time.monotonic() + timeout_s
        if self._thread.is_alive():
            self.settle(timeout_s)
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(max(deadline - time.monotonic(), 0.0))
        self.sink.close()
        if self.owned:
            self.store.dispose()

    # -- the loop's side -----------------------------------------------------------------

    def prepare(self) -> None:
        """Migrate a store that was away, store the reference, send spooled windows, report
        this process's environment (once per start)."""
        self.sink.drain()
        if not self._reference_kept:
            self._keep_reference()
        if self._reference_kept and not self._environment_recorded:
            self._record_environment()

    def _record_environment(self) -> None:
        """Snapshots then describe the process that serves, not whichever one responds."""
        try:
            recorded = record_local_environment(
                self.store, model=self.model, actor=f"guard:{self.model}", now=self.loop.clock()
            )
        except StoreError as exc:  # the next tick tries again
            log.warning("could not store the environment of %s: %s", self.model, exc)
            return
        self._environment_recorded = recorded is not None

    def _keep_reference(self) -> None:
        try:
            keep_reference(self.store, self.model, self.reference, now=self.loop.clock())
        except StoreError as exc:  # the loop tries again once the store answers
            log.warning("could not store the reference of %s: %s", self.model, exc)
            return
        self._reference_kept = True

    def unevaluated(self) -> bool:
        """Whether a stored window of the model still waits for its response."""
        try:
            with self.store.reading() as session:
                return bool(list_unevaluated_windows(session, model=self.model, limit=1))
        except StoreError:
            return False

    def route_may_change(self, _summary: TickSummary) -> None:
        """A response committed that may have changed the route: the Guard takes it now, on
        this thread, before the loop copies the bytes of the snapshots the response took."""
        if self.on_change is not None:
            self.on_change()

    def responded_to(self, written: int) -> None:
        """The loop responded to the first ``written`` windows: flushes waiting on them go on."""
        with self._settled:
            self._responded = max(self._responded, written)
            self._settled.notify_all()


def default_spool_dir(store: Store) -> Path:
    """Where windows wait while the store is away: ``<database file>.spool/`` beside a SQLite
    file, else ``<temp dir>/redline-spool/<hash of the store URL>/``."""
    path = sqlite_file(store.engine.url)
    if path is not None:
        return path.with_name(path.name + ".spool")
    digest = sha256(repr(store).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "redline-spool" / digest


def open_local_plane(
    store: str | Store | None,
    *,
    model: str,
    reference: Reference,
    plan: ResponsePlan | None,
    spool_dir: Path | None,
    trust_artifacts: bool,
    interval_s: float,
    clock: Callable[[], datetime],
) -> LocalControlPlane:
    """A local control plane on ``store`` (a URL, a Store, None for ``REDLINE_STORE__URL``),
    not started. A store that cannot be migrated now is migrated by the loop once it answers."""
    if isinstance(store, Store):
        opened, owned = store, False
    elif store is None or isinstance(store, str):
        opened, owned = Store.from_url(store or get_settings().store.url), True  # bad URL: here
    else:
        raise TypeError(f"store must be a URL, a Store, None or False; got {store!r}")
    try:
        migrate = False
        try:
            upgrade(opened.engine)
        except StoreError as exc:  # serve now; the loop migrates once the store answers
            log.warning("store unreachable at start, serving without it for now: %s", exc)
            migrate = True
        directory = spool_dir if spool_dir is not None else default_spool_dir(opened)
        return LocalControlPlane(
            opened,
            model=model,
            plan=plan if plan is not None else ResponsePlan(),
            reference=reference,
            spool_path=directory / f"{quote(model, safe='')}.spool",
            interval_s=interval_s,
            trust_artifacts=trust_artifacts,
            migrate=migrate,
            owned=owned,
            clock=clock,
        )
    except BaseException:
        if owned:
            opened.dispose()
        raise
