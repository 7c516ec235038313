"""Reading and changing a model's RouteState: the only way containment reaches the Guards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from redline.domain import RouteState
from redline.store import Session, Store, add_route_state, get_route_state

__all__ = ["change_route", "current_route", "route_source"]


def current_route(session: Session, *, model: str) -> RouteState:
    """The latest RouteState of ``model`` (revision 0, serving the primary, when none is stored)."""
    row = get_route_state(session, model=model)
    if row is None:
        return RouteState(model=model)
    return RouteState.from_dict(row.state)


def change_route(
    session: Session,
    *,
    model: str,
    actor: str,
    current: RouteState | None = None,
    at: datetime | None = None,
    **changes: Any,
) -> tuple[RouteState, RouteState]:
    """Store the next revision with ``changes``; returns (before, after). ``current``: the
    route the caller read in this transaction (not read again); ``at``: when (default now)."""
    before = current if current is not None else current_route(session, model=model)
    after = before.with_changes(model=model, **changes)
    add_route_state(
        session,
        model=model,
        revision=after.revision,
        state=after.to_dict(),
        created_by=actor,
        created_at=at,
    )
    return before, after


def route_source(store: Store, *, model: str) -> Callable[[], RouteState | None]:
    """A function a Guard polls for the latest stored RouteState of ``model``."""

    def fetch() -> RouteState | None:
        with store.reading() as session:
            row = get_route_state(session, model=model)
            return None if row is None else RouteState.from_dict(row.state)

    return fetch
