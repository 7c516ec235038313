"""Canaries run by the service: each model's playbook canaries on its current route.

They run on their schedule (``every_s``) and right after every new RouteState revision. A
run is leased per model (``canaries:<model>``), so one worker runs a model's canaries at a
time; the revision checked and each canary's next due time are marks in the store, shared by
every worker. A failure is a critical ``canary_failure`` signal, triaged like a monitor's.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from redline.domain import Signal
from redline.guard.canaries import Canary, canary_signal
from redline.profiles.window import WindowProfile
from redline.services.actions import verify_actions_in
from redline.services.canary_routes import (
    ModelCanaries,
    RouteUnavailableError,
    ServedVersions,
    VersionCache,
    run_route_canaries,
    served_versions,
)
from redline.services.ingest import model_lock
from redline.services.response import ResponsePlan
from redline.services.routes import current_route
from redline.services.triage import triage_signals_in
from redline.store import (
    Session,
    Store,
    add_signals,
    get_mark,
    release_lease,
    save_mark,
    try_lease,
    try_lock,
)

__all__ = ["RUN_LEASE", "CanaryRun", "ServiceCanaries", "respond_to_canaries_in"]

log = logging.getLogger("redline.services")

#: Longer than a run of a model's canaries takes; a worker that dies hands the run on after it.
RUN_LEASE = timedelta(minutes=5)
#: Due times are kept as seconds from here (the counters hold integers).
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CanaryRun:
    """One run of a model's canaries: which ran, which failed, or why none could run."""

    model: str
    revision: int
    ran: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    skipped: str | None = None
    incident: str | None = None


def _mark(*parts: str) -> str:
    name = ":".join(("canaries", *parts))
    # The counters' names hold 200 characters; long model or canary names are hashed.
    return name if len(name) <= 180 else "canaries:" + hashlib.sha256(name.encode()).hexdigest()


def _seconds(at: datetime) -> int:
    return int((at - _EPOCH).total_seconds())


def _due(session: Session, entry: ModelCanaries, revision: int, now: datetime) -> list[Canary]:
    """Every canary after a route change; otherwise those whose time has come."""
    if get_mark(session, name=_mark(entry.model, "revision")) != revision:
        return list(entry.canaries)
    now_s = _seconds(now)
    return [
        c
        for c in entry.canaries
        if (get_mark(session, name=_mark(entry.model, "due", c.name)) or 0) <= now_s
    ]


class ServiceCanaries:
    """Runs the canaries of the models given, on the routes the store holds for them."""

    def __init__(
        self,
        store: Store,
        *,
        models: Sequence[ModelCanaries],
        plan: ResponsePlan,
        trust: bool = False,
    ) -> None:
        self.store = store
        self.models = tuple(models)
        self.plan = plan
        self.versions = VersionCache(store, trust=trust)
        # Routes this process could not load, by model: (revision, when to try again). Kept
        # here, not in the store, so that a worker which can load them runs them at once.
        self._unavailable: dict[str, tuple[int, datetime]] = {}

    def run_due(self, *, now: datetime) -> list[CanaryRun]:
        """Run the canaries due now (those another worker is running wait); returns the runs."""
        return [run for entry in self.models if (run := self._run_model(entry, now)) is not None]

    def _claim(
        self, entry: ModelCanaries, now: datetime
    ) -> tuple[ServedVersions, list[Canary]] | None:
        """Lease the model's run when canaries are due; the route and those canaries, or None."""
        with self.store.session() as session:  # a read first: most ticks have nothing due
            revision = current_route(session, model=entry.model).revision
            waiting = self._unavailable.get(entry.model)
            if waiting is not None and waiting[0] == revision and now < waiting[1]:
                return None
            if not _due(session, entry, revision, now):
                return None
        with self.store.session() as session:
            name = _mark(entry.model)
            if not try_lease(session, name=name, now=now, until=now + RUN_LEASE):
                return None  # another worker is running them
            state = current_route(session, model=entry.model)
            due = _due(session, entry, state.revision, now)  # it may have just finished them
            if not due:
                release_lease(session, name=name)
                return None
            served = served_versions(
                session,
                model=entry.model,
                state=state,
                primary=entry.primary,
                fallback=entry.fallback,
            )
        return served, due

    def _run_model(self, entry: ModelCanaries, now: datetime) -> CanaryRun | None:
        claimed = self._claim(entry, now)
        if claimed is None:
            return None
        served, due = claimed
        try:
            return self._run_claimed(entry, served, due, now)
        except BaseException:
            with self.store.session() as session:  # hand the run on at once, not after the lease
                release_lease(session, name=_mark(entry.model))
            raise

    def _run_claimed(
        self, entry: ModelCanaries, served: ServedVersions, due: list[Canary], now: datetime
    ) -> CanaryRun:
        revision = served.state.revision
        try:
            results = run_route_canaries(due, self.versions.plan(served), now=now)
        except RouteUnavailableError as exc:
            log.warning("canaries of %s not run on revision %d: %s", entry.model, revision, exc)
            retry = now + timedelta(seconds=min(c.every_s for c in due))
            self._unavailable[entry.model] = (revision, retry)
            with self.store.session() as session:
                release_lease(session, name=_mark(entry.model))
            return CanaryRun(entry.model, revision, skipped=str(exc))
        failed = [r for r in results if not r.passed]
        signals = [
            canary_signal(entry.model, r, {"passed": 0, "failed": 1}, start=now, end=now)
            for r in failed
        ]
        run = CanaryRun(
            entry.model,
            revision,
            ran=tuple(r.name for r in results),
            failed=tuple(r.name for r in failed),
        )
        return self._finish(entry, revision, due, now, run, signals=signals)

    def _finish(
        self,
        entry: ModelCanaries,
        revision: int,
        due: list[Canary],
        now: datetime,
        run: CanaryRun,
        signals: Sequence[Signal] = (),
    ) -> CanaryRun:
        """Respond to the failures, note what ran and when it is next due, give the lease back."""
        with self.store.session() as session:
            if not try_lock(session, name=model_lock(entry.model)):
                release_lease(session, name=_mark(entry.model))  # run again on the next tick
                return CanaryRun(entry.model, revision, skipped="another worker holds the model")
            incident = None
            if signals:
                incident = respond_to_canaries_in(
                    session,
                    model=entry.model,
                    revision=revision,
                    signals=signals,
                    now=now,
                    plan=self.plan,
                )
            save_mark(session, name=_mark(entry.model, "revision"), value=revision)
            for canary in due:
                due_s = _seconds(now + timedelta(seconds=canary.every_s))
                save_mark(session, name=_mark(entry.model, "due", canary.name), value=due_s)
            release_lease(session, name=_mark(entry.model))
        return replace(run, incident=incident)


def respond_to_canaries_in(
    session: Session,
    *,
    model: str,
    revision: int,
    signals: Sequence[Signal],
    now: datetime,
    plan: ResponsePlan,
) -> str | None:
    """Store failed canaries' signals, fail the actions whose route they ran on, triage them.

    Returns the key of the incident they joined or opened. As with a Guard's canary window,
    the run is judged as a window without rows: it fails actions (applied ones, and verified
    ones whose route it ran on, which can send their incident back), it never verifies one.
    """
    rows = add_signals(session, signals=signals)
    run = WindowProfile("", {}, start=now, end=now, window_id=f"canaries:{model}:{revision}")
    run.route_revision = revision
    verify_actions_in(session, model=model, window=run, now=now, signals=signals)
    incident = triage_signals_in(session, model=model, rows=rows, now=now, plan=plan)
    return None if incident is None else incident.key
