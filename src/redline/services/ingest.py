"""Ingest closed windows and their signals into the store."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from redline.domain import Signal
from redline.errors import StoreError
from redline.guard.sinks import ClosedWindow
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile
from redline.services.actions import verify_actions_in
from redline.services.catalog import reference_in
from redline.services.labels import (
    ServedPrediction,
    performance_signals_in,
    record_labels_in,
    record_served_in,
)
from redline.services.response import ResponsePlan
from redline.services.review import queue_for_review_in
from redline.services.triage import advance_incidents_in, triage_signals_in
from redline.services.window_results import window_results_in
from redline.store import (
    Session,
    SignalRow,
    Store,
    WindowRow,
    add_signals,
    add_window,
    claim_windows,
    list_incidents,
    list_untriaged_signals,
    list_windows,
    mark_window_evaluated,
    save_window_results,
    try_lock,
)

__all__ = [
    "list_window_profiles",
    "model_lock",
    "record_window",
    "record_window_in",
    "record_windows",
    "respond_to_window_in",
    "respond_to_windows",
    "store_window",
    "store_window_in",
    "store_windows",
]

log = logging.getLogger("redline.services")


def store_window_in(
    session: Session, closed: ClosedWindow, *, judge: bool = True
) -> list[SignalRow] | None:
    """Store a window, unevaluated, with its monitors' results, signals, labels, served rows
    and reviews.

    ``judge=False`` leaves the per-column results to whoever responds to the window
    (:func:`respond_to_windows`), off the ingest path. Returns the stored signal rows, or
    None when the window was already stored.
    """
    window = closed.window
    start = window.start or datetime.now(UTC)
    end = window.end or start
    _, created = add_window(
        session,
        window_id=window.window_id,
        model=closed.model,
        start=start,
        end=end,
        n_rows=window.n_rows,
        payload=window.to_dict(),
        results=window_results_in(session, closed).to_document() if judge else None,
    )
    if not created:
        return None
    rows = add_signals(session, signals=closed.signals, window_id=window.window_id)
    if closed.served:
        served = [ServedPrediction(rid, value, route, end) for rid, value, route in closed.served]
        record_served_in(session, model=closed.model, window_id=window.window_id, served=served)
    if closed.feedback:
        record_labels_in(session, model=closed.model, labels=closed.feedback)
    if closed.reviews:
        open_now = list_incidents(session, model=closed.model, open_only=True, limit=1)
        incident = open_now[0].key if open_now else None
        items = [{**item, "incident": incident} for item in closed.reviews]
        queue_for_review_in(session, model=closed.model, items=items, now=end)
    return rows


def record_window_in(session: Session, closed: ClosedWindow) -> list[SignalRow] | None:
    """Store a closed window (see :func:`store_window_in`) and mark it evaluated at once."""
    rows = store_window_in(session, closed)
    if rows is not None:
        mark_window_evaluated(session, window_id=closed.window.window_id, at=datetime.now(UTC))
    return rows


def respond_to_window_in(
    session: Session,
    *,
    model: str,
    window: WindowProfile,
    rows: Sequence[SignalRow],
    now: datetime,
    plan: ResponsePlan,
    reference: Reference | None = None,
) -> None:
    """Respond to a window: verify actions, triage signals and drops (labels vs ``reference``)."""
    signals = _signals(rows)
    verify_actions_in(session, model=model, window=window, now=now, signals=signals)
    triage_signals_in(session, model=model, rows=rows, now=now, plan=plan)
    if reference is not None:
        drops = performance_signals_in(session, model=model, reference=reference, now=now)
        if drops:
            triage_signals_in(session, model=model, rows=drops, now=now, plan=plan)
    advance_incidents_in(session, model=model, now=now, exit_windows=plan.exit_windows)


def _record_in(
    session: Session, closed: ClosedWindow, plan: ResponsePlan | None, ref: Reference | None
) -> bool:
    rows = record_window_in(session, closed)
    if rows is None:
        return False
    if plan is not None:
        respond_to_window_in(
            session,
            model=closed.model,
            window=closed.window,
            rows=rows,
            # The Guard's clock: what happened is dated when the window closed, not stored.
            now=closed.window.end or datetime.now(UTC),
            plan=plan,
            reference=ref,
        )
    return True


def record_window(
    store: Store,
    closed: ClosedWindow,
    *,
    plan: ResponsePlan | None = None,
    reference: Reference | None = None,
) -> bool:
    """Store a window and, given a ``plan``, respond to it, in one transaction; False if a repeat."""
    with store.session() as session:
        return _record_in(session, closed, plan, reference)


def record_windows(
    store: Store, windows: Sequence[ClosedWindow], *, plan: ResponsePlan | None = None
) -> list[bool]:
    """Store and respond to windows in order in one transaction (all or none); per window, if new.

    Performance drops are measured against each model's stored reference.
    """
    with store.session() as session:
        references: dict[str, Reference | None] = {}
        created = []
        for closed in windows:
            if plan is not None and closed.model not in references:
                references[closed.model] = reference_in(session, model=closed.model)
            created.append(_record_in(session, closed, plan, references.get(closed.model)))
        return created


def model_lock(model: str) -> str:
    """The lock name that serialises everyone triaging and advancing incidents of ``model``."""
    return f"model:{model}"


def store_window(store: Store, closed: ClosedWindow) -> bool:
    """Store a closed window for a worker to respond to; False when it was already stored."""
    return store_windows(store, [closed])[0]


def store_windows(
    store: Store, windows: Sequence[ClosedWindow], *, judge: bool = True
) -> list[bool]:
    """Store windows for a worker, in one transaction; per window, whether it was new.

    ``judge=False``: their per-column results are computed by the worker that responds.
    """
    with store.session() as session:
        return [store_window_in(session, c, judge=judge) is not None for c in windows]


def respond_to_windows(
    store: Store, *, plan: ResponsePlan, batch: int = 50, model: str | None = None
) -> list[str]:
    """Claim up to ``batch`` unevaluated windows and respond to each; returns their ids.

    Claim, responses and ``evaluated_at`` commit together: each window is responded to
    exactly once however many workers claim. Models another worker holds wait for a later
    claim (one triager per model). A window whose response fails is logged and left.
    """
    with store.session() as session:
        claimed = claim_windows(session, limit=batch, model=model)
        references: dict[str, Reference | None] = {}
        busy: set[str] = set()  # models another worker holds: all their windows wait, in order
        done = []
        for row in claimed:
            if row.model in busy:
                continue
            if row.model not in references:
                if not try_lock(session, name=model_lock(row.model)):
                    busy.add(row.model)
                    continue
                references[row.model] = reference_in(session, model=row.model)
            if _respond_to_row(session, row, plan=plan, reference=references[row.model]):
                done.append(row.id)
    return done


def _respond_to_row(
    session: Session, row: WindowRow, *, plan: ResponsePlan, reference: Reference | None
) -> bool:
    try:
        # A savepoint per window: one that cannot be responded to does not undo the others.
        with session.begin_nested():
            window = WindowProfile.from_dict(row.payload)
            rows = list_untriaged_signals(session, window_id=row.id)
            if row.results is None:  # stored with judge=False: judged once, here
                _judge_stored(session, row.id, ClosedWindow(row.model, window, _signals(rows)))
            respond_to_window_in(
                session,
                model=row.model,
                window=window,
                rows=rows,
                now=row.end,
                plan=plan,
                reference=reference,
            )
            mark_window_evaluated(session, window_id=row.id, at=datetime.now(UTC))
    except (StoreError, ValueError, KeyError, TypeError) as exc:
        log.error("window %s of model %s could not be responded to: %s", row.id, row.model, exc)
        return False
    return True


def _signals(rows: Sequence[SignalRow]) -> list[Signal]:
    return [row.to_signal() for row in rows]


def _judge_stored(session: Session, window_id: str, closed: ClosedWindow) -> None:
    results = window_results_in(session, closed).to_document()
    save_window_results(session, window_id=window_id, results=results)


def list_window_profiles(store: Store, *, model: str, limit: int = 100) -> list[WindowProfile]:
    """The stored windows of a model, oldest first."""
    with store.reading() as session:
        rows = list_windows(session, model=model, limit=limit)
        return [WindowProfile.from_dict(row.payload) for row in rows]
