"""An embedded Guard's evidence: the snapshot's bytes are copied by the control loop once the
Guard serves the new route (never on the window thread), and its environment is the Guard's."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import event

from redline.domain import Route
from redline.guard.environment import LOCAL_FINGERPRINT, fingerprint_sha256
from redline.profiles.reference import Reference
from redline.services import snapshot_completion
from redline.services.environments import list_environments, local_instance
from redline.services.snapshots import list_snapshot_views
from redline.store import Store, list_incidents
from rltest.credit import MODEL, credit_guard, fit_reference, send_traffic
from rltest.policy import drift_fallback_playbook

LOOP_THREAD = f"redline-control-{MODEL}"


@pytest.fixture(scope="module")
def reference() -> Reference:
    return fit_reference()


def _declared_snapshot_key(store: Store) -> str:
    with store.reading() as session:
        (incident,) = list_incidents(session, model=MODEL)
        return incident.key


def test_snapshot_bytes_are_copied_on_the_loop_thread_after_the_new_route_is_served(
    store: Store, reference: Reference, monkeypatch: pytest.MonkeyPatch
) -> None:
    copies: list[tuple[str, int]] = []  # (thread, revision the Guard served) at each copy
    served: list[Any] = []
    complete = snapshot_completion.complete_snapshot

    def watched(store: Store, **kwargs: Any) -> bool:
        copies.append((threading.current_thread().name, served[0].route.revision))
        return complete(store, **kwargs)

    monkeypatch.setattr(snapshot_completion, "complete_snapshot", watched)
    with credit_guard(store, reference, playbook=drift_fallback_playbook()) as guard:
        served.append(guard)
        for seed in (1, 2):  # drift in two windows running: SEV2, snapshot, route_fallback
            send_traffic(guard, 1_000, shift=1.0, seed=seed)
        assert guard.route.mode is Route.FALLBACK
    assert copies, "the declaring snapshot's bytes were never copied"
    assert {thread for thread, _ in copies} == {LOOP_THREAD}
    assert min(revision for _, revision in copies) >= 1  # the Guard already served the change
    (view,) = list_snapshot_views(store, incident_key=_declared_snapshot_key(store))
    assert view.complete  # flush() returned after the loop's tick, copy included


def test_a_snapshot_after_an_embedded_declare_describes_the_guard_s_own_process(
    store: Store, reference: Reference
) -> None:
    writers: Counter[str] = Counter()

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "model_environments" in statement.split("(")[0] and statement.startswith("INSERT"):
            writers[threading.current_thread().name] += 1

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        with credit_guard(store, reference, playbook=drift_fallback_playbook()) as guard:
            for seed in (1, 2):
                send_traffic(guard, 1_000, shift=1.0, seed=seed)
            assert guard.route.mode is Route.FALLBACK
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert dict(writers) == {LOOP_THREAD: 1}  # once per start, by the loop, off the window thread
    (view,) = list_snapshot_views(store, incident_key=_declared_snapshot_key(store))
    section = view.declared["environment"]  # in the manifest written before the route changed
    assert (section["source"], section["instance"]) == ("guard", local_instance())
    (reported,) = list_environments(store, model=MODEL)
    assert section["fingerprint_sha256"] == reported.sha256
    local = LOCAL_FINGERPRINT.get()  # this process's, with its variables' names besides
    assert fingerprint_sha256({k: reported.fingerprint[k] for k in local}) == fingerprint_sha256(
        local
    )
    assert "PATH" in reported.fingerprint["variables"]
