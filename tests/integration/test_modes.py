"""One incident, three deployments, one outcome: a unit-change fault (``x`` arrives in
thousandths) is declared SEV2, routed to the fallback, verified, and once the fault is
reverted the primary is restored and the incident resolves, whether the Guard is embedded
(its local control loop), remote with the API and one worker, or remote with two workers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import redline
from redline.api import create_app
from redline.api.server import ApiServer
from redline.profiles.reference import Reference
from redline.services.catalog import save_reference
from redline.services.response import ResponsePlan
from redline.services.routes import current_route
from redline.services.tokens import create_token
from redline.settings import ApiSettings, Settings, StoreSettings
from redline.store import (
    Store,
    list_actions,
    list_incidents,
    list_timeline,
    list_unevaluated_windows,
)
from redline.worker import Worker
from rltest.credit import MODEL, fit_reference, primary, rules
from rltest.policy import drift_fallback_playbook
from rltest.waiting import wait_for

#: (scale of ``x``, seed) per window: two windows in the wrong unit, then four right again.
SCENARIO = [(1_000.0, 1), (1_000.0, 2), (1.0, 3), (1.0, 4), (1.0, 5), (1.0, 6)]

Settle = Callable[[redline.Guard], None]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return fit_reference()


def _serve(guard: redline.Guard, scale: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for x, region in zip(rng.normal(0, 1, 1_000), rng.choice(["n", "s"], 1_000), strict=True):
        guard.predict({"x": float(x) * scale, "region": str(region)})
    guard.flush()


def _status(store: Store) -> str | None:
    with store.reading() as session:
        incidents = list_incidents(session, model=MODEL)
        return incidents[0].status if incidents else None


def _outcome(store: Store, observed: list[tuple[str, str | None]]) -> dict[str, Any]:
    with store.reading() as session:
        (incident,) = list_incidents(session, model=MODEL)
        actions = sorted((a.type, a.status) for a in list_actions(session, incident_id=incident.id))
        kinds = sorted({e.kind for e in list_timeline(session, incident_id=incident.id)})
    return {
        "per_window": observed,
        "severity": incident.severity,
        "status": incident.status,
        "actions": actions,
        "timeline": kinds,
    }


def _run(guard: redline.Guard, store: Store, settle: Settle) -> dict[str, Any]:
    observed = []
    for scale, seed in SCENARIO:
        _serve(guard, scale, seed)
        settle(guard)
        observed.append((guard.route.mode.value, _status(store)))
    return _outcome(store, observed)


class Workers:
    """``n`` workers, each on its own engine, ticking on threads until closed."""

    def __init__(self, url: str, plan: ResponsePlan, n: int) -> None:
        self.stores = [Store.from_url(url) for _ in range(n)]
        self.workers = [Worker(s, plan=plan, interval_s=0.05) for s in self.stores]
        self.ticks = [0] * n
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._tick, args=(i,)) for i in range(n)]
        for thread in self._threads:
            thread.start()

    def _tick(self, index: int) -> None:
        while not self._stop.is_set():
            self.workers[index].tick()
            self.ticks[index] += 1
            self._stop.wait(0.05)

    def settle(self, store: Store, guard: redline.Guard) -> None:
        """Every window responded to, then a whole tick of every worker, then the route."""

        def evaluated() -> bool:
            with store.reading() as session:
                return not list_unevaluated_windows(session, model=MODEL, limit=1)

        wait_for(evaluated, timeout_s=30)
        marks = list(self.ticks)
        wait_for(lambda: all(t >= m + 2 for t, m in zip(self.ticks, marks, strict=True)), 30)

        def routed() -> bool:
            with store.reading() as session:
                return guard.route.revision == current_route(session, model=MODEL).revision

        wait_for(routed, timeout_s=10)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        for opened in self.stores:
            opened.dispose()


@contextmanager
def _service(url: str) -> Iterator[tuple[str, str]]:
    """The API in worker mode (it only stores windows): its URL and a responder token."""
    store = Store.from_url(url)
    token = create_token(store, name="modes", role="responder")[0]
    settings = Settings(
        store=StoreSettings(url=url), api=ApiSettings(evaluate="worker", route_poll_s=0.05)
    )
    server = ApiServer(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}", token
    finally:
        server.stop()
        store.dispose()


def _guard(reference: Reference, **where: Any) -> redline.Guard:
    return redline.Guard(
        model=MODEL,
        predict=primary,
        fallback=rules,
        reference=reference,
        window_s=3600,
        route_poll_s=0.05,
        **where,
    )


#: What the embedded Guard does; every other mode must do the same.
EXPECTED_OUTCOME: dict[str, Any] = {
    "per_window": [  # the route served after each window's response, the incident's status
        ("fallback", "declared"),
        ("fallback", "monitoring"),  # the fallback verified on a window it served
        ("fallback", "monitoring"),
        ("fallback", "monitoring"),
        ("primary", "monitoring"),  # quiet windows: the primary restored
        ("primary", "resolved"),  # ... and verified on a clean window
    ],
    "severity": "SEV2",
    "status": "resolved",
    "actions": [("restore", "verified"), ("route_fallback", "reverted")],
}
#: Timeline events every mode writes (others, such as snapshot steps, may come beside them).
TIMELINE = {"opened", "snapshot_taken", "action_applied", "action_verified", "action_reverted"}


@pytest.mark.parametrize("mode", ["embedded", "service", "two_workers"])
def test_the_same_fault_has_the_same_outcome_in_every_mode(
    mode: str, migrated_url: str, reference: Reference, tmp_path: Path
) -> None:
    playbook = drift_fallback_playbook()
    store = Store.from_url(migrated_url)
    try:
        if mode == "embedded":
            with _guard(reference, store=store, playbook=playbook) as guard:
                outcome = _run(guard, store, lambda g: None)
        else:  # an embedded Guard stores its reference; here the model's owner does
            save_reference(store, model=MODEL, body=reference.to_dict(), actor="person:test")
            workers = Workers(
                migrated_url, ResponsePlan.from_playbook(playbook), 1 if mode == "service" else 2
            )
            try:
                with (
                    _service(migrated_url) as (url, token),
                    _guard(reference, server=url, token=token, spool_dir=tmp_path) as guard,
                ):
                    outcome = _run(guard, store, lambda g: workers.settle(store, g))
            finally:
                workers.close()
    finally:
        store.dispose()
    timeline = outcome.pop("timeline")
    assert outcome == EXPECTED_OUTCOME
    assert set(timeline) >= TIMELINE
