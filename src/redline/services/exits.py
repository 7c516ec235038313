"""The worker's way out of containments: restores due on models no window is waiting for."""

from __future__ import annotations

from datetime import datetime

from redline.services.ingest import model_lock
from redline.services.restore import start_due_restores_in
from redline.store import Store, get_incident, list_incidents, list_unevaluated_windows, try_lock

__all__ = ["MAX_OPEN", "start_due_restores"]

#: More open incidents than a store ever holds at once: every model with one is visited.
MAX_OPEN = 1000


def start_due_restores(store: Store, *, now: datetime, exit_windows: int = 3) -> list[str]:
    """Start the restores the exit rules ask for; returns the keys of their incidents."""
    with store.reading() as session:
        models = sorted(
            {row.model for row in list_incidents(session, open_only=True, limit=MAX_OPEN)}
        )
    started: list[str] = []
    for model in models:
        with store.session() as session:
            if not try_lock(session, name=model_lock(model)):
                continue
            # A window still to respond to may hold signals that reset the quiet count.
            if list_unevaluated_windows(session, model=model, limit=1):
                continue
            rows = start_due_restores_in(
                session, model=model, signals=(), now=now, exit_windows=exit_windows
            )
            for row in rows:
                incident = get_incident(session, incident_id=row.incident_id)
                if incident is not None:
                    started.append(incident.key)
    return started
