"""Jobs of the control loop besides windows and SLAs: advance incidents, send the outbox."""

from __future__ import annotations

from datetime import datetime

from redline.notify import Notifier
from redline.services.ingest import model_lock
from redline.services.notifications import deliver_pending
from redline.services.response import ResponsePlan
from redline.services.triage import advance_incidents_in
from redline.store import (
    IncidentRow,
    Store,
    list_incidents,
    list_unevaluated_windows,
    try_lock,
)

__all__ = ["advance_open_incidents", "deliver_notifications"]

MAX_OPEN = 1000


def _open_incidents(store: Store) -> list[IncidentRow]:
    with store.session() as session:
        return list_incidents(session, open_only=True, limit=MAX_OPEN)


def advance_open_incidents(store: Store, *, plan: ResponsePlan, now: datetime) -> list[str]:
    """Move open incidents on whose exit criteria now hold; returns the keys that moved."""
    moved: list[str] = []
    for model in sorted({row.model for row in _open_incidents(store)}):
        with store.session() as session:
            if not try_lock(session, name=model_lock(model)):
                continue  # another worker is on this model
            # Exit criteria count stored windows: wait until they are responded to, since one
            # may hold the very signals that keep the incident open (its response advances).
            if list_unevaluated_windows(session, model=model, limit=1):
                continue
            moved += advance_incidents_in(
                session, model=model, now=now, exit_windows=plan.exit_windows
            )
    return moved


def deliver_notifications(store: Store, notifier: Notifier, *, now: datetime) -> int:
    """Send the notification outbox; returns how many sent.

    Workers send side by side: each notice is claimed by one of them (``deliver_pending``).
    """
    return deliver_pending(store, notifier, now=now)
