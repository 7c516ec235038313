"""A SEV2 drift incident built through the real ingest path: Guard → store → fallback →
restored → resolved, on a playbook that opts into routing confirmed drift to the fallback."""

from __future__ import annotations

from redline.domain import Route
from redline.profiles.reference import Reference
from redline.services.catalog import save_reference
from redline.store import Store, list_incidents
from rltest.credit import MODEL, credit_guard, send_traffic
from rltest.credit import fit_reference as fit
from rltest.policy import drift_fallback_playbook
from rltest.waiting import wait_for

__all__ = ["MODEL", "fit", "resolved_incident"]


def resolved_incident(url: str, reference: Reference, *, quiet_before: int = 10) -> str:
    """Quiet windows, two drifted ones (SEV2, fallback, verified), three quiet (the primary is
    restored), one more on the primary: resolved. ``url`` names a store already migrated."""
    store = Store.from_url(url)
    try:  # as a server would: the reference is stored, so windows can be judged again
        save_reference(store, model=MODEL, body=reference.to_dict(), actor="person:test")
    finally:
        store.dispose()
    playbook = drift_fallback_playbook()
    with credit_guard(
        url, reference, route_poll_s=0.05, record_served=True, playbook=playbook
    ) as guard:
        for seed in range(100, 100 + quiet_before):
            send_traffic(guard, 1_000, shift=0.0, seed=seed)
        # People label part of the drifted traffic: enough to retrain on.
        send_traffic(guard, 1_000, shift=1.5, seed=1, labels=80)
        send_traffic(guard, 1_000, shift=1.5, seed=2, labels=80)
        for seed in (3, 4, 5):
            send_traffic(guard, 1_000, shift=0.0, seed=seed)
        wait_for(lambda: guard.route.mode is Route.PRIMARY)  # quiet: the primary is restored
        send_traffic(guard, 1_000, shift=0.0, seed=6)  # a clean window on it verifies that
    store = Store.from_url(url)
    try:
        with store.session() as session:
            (incident,) = list_incidents(session, model=MODEL)
            assert incident.status == "resolved", incident.status
            return incident.key
    finally:
        store.dispose()
