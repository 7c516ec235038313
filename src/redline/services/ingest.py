"""Ingest closed windows and their signals into the store."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from redline.domain import ActionStatus, Signal
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
from redline.services.snapshot_completion import deferring_copies
from redline.services.triage import advance_incidents_in, triage_signals_in
from redline.services.window_points import window_summary_in
from redline.services.window_results import window_results_in
from redline.store import (
    Session,
    SignalRow,
    Store,
    WindowRow,
    add_signals,
    add_window,
    add_windows,
    claim_windows,
    list_actions,
    list_incidents,
    list_untriaged_signals_of,
    list_waiting_models,
    list_windows,
    mark_window_evaluated,
    mark_windows_evaluated,
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
    fields = _window_fields(session, closed, judge=judge)
    _, created = add_window(session, **fields)
    return _store_extras_in(session, closed, end=fields["end"]) if created else None


def _window_fields(session: Session, closed: ClosedWindow, *, judge: bool) -> dict[str, Any]:
    """``add_window``'s fields for ``closed`` (its results judged here if ``judge``)."""
    window = closed.window
    start, payload = window.start or datetime.now(UTC), window.to_dict()
    results = window_results_in(session, closed).to_document() if judge else None
    return {
        "window_id": window.window_id,
        "model": closed.model,
        "start": start,
        "end": window.end or start,
        "n_rows": window.n_rows,
        "payload": payload,
        "results": results,
        "summary": window_summary_in(session, model=closed.model, payload=payload, results=results),
    }


def _store_extras_in(session: Session, closed: ClosedWindow, *, end: datetime) -> list[SignalRow]:
    """Store what came with a newly stored window: signals, served rows, labels, reviews."""
    window_id = closed.window.window_id
    rows = add_signals(session, signals=closed.signals, window_id=window_id)
    if closed.served:
        served = [ServedPrediction(rid, value, route, end) for rid, value, route in closed.served]
        record_served_in(session, model=closed.model, window_id=window_id, served=served)
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
    store: Store,
    windows: Sequence[ClosedWindow],
    *,
    plan: ResponsePlan | None = None,
    copy_later: list[str] | None = None,
) -> list[bool]:
    """Store and respond to windows in order in one transaction (all or none); per window, if new.

    Performance drops are measured against each model's stored reference. The snapshots the
    responses take record their hashes in that transaction; their bytes are copied right after
    it commits, or, given ``copy_later``, not at all: their ids are appended to it for the
    caller to complete once it has answered (``complete_pending_snapshots(first=copy_later)``).
    """
    if copy_later is None:
        return _record_windows(store, windows, plan)
    with deferring_copies() as deferred:
        created = _record_windows(store, windows, plan)
    copy_later.extend(deferred)
    return created


def _record_windows(
    store: Store, windows: Sequence[ClosedWindow], plan: ResponsePlan | None
) -> list[bool]:
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
        fields = [_window_fields(session, c, judge=judge) for c in windows]
        new = add_windows(session, windows=fields)  # one statement for the whole batch
        created = []
        for closed, values in zip(windows, fields, strict=True):
            window_id = values["window_id"]
            created.append(window_id in new)
            if window_id in new:
                new.discard(window_id)  # a repeat within the batch is not new
                _store_extras_in(session, closed, end=values["end"])
        return created


def respond_to_windows(
    store: Store,
    *,
    plan: ResponsePlan,
    batch: int = 50,
    model: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> list[str]:
    """Claim up to ``batch`` unevaluated windows and respond to each; returns their ids.

    Claim, responses and ``evaluated_at`` commit together: each window is responded to
    exactly once however many workers claim. Models another worker holds wait for a later
    claim (one triager per model). A window whose response fails is logged and left. The
    batch costs a fixed number of queries besides the responses: one for the signals of
    every window, one per model for its lock and reference, one to mark them all evaluated.
    """
    with store.session() as session:
        held = _lock_waiting_models(session, batch=batch, model=model)
        rows = claim_windows(session, limit=batch, models=held) if held else []
        references = {name: reference_in(session, model=name) for name in {r.model for r in rows}}
        signals = list_untriaged_signals_of(session, window_ids=[row.id for row in rows])
        evaluated: list[tuple[str, dict[str, Any] | None, datetime]] = []
        quiet: dict[str, bool] = {}
        for row in rows:
            reference = references[row.model]
            if not signals[row.id] and _is_quiet(session, row.model, reference, quiet):
                ok, results = _judge_quiet_row(session, row)
            else:
                quiet.pop(row.model, None)  # its response may open or act: look again
                ok, results = _respond_to_row(
                    session, row, signals[row.id], plan=plan, reference=reference
                )
            if ok:
                evaluated.append((row.id, results, clock() if clock else datetime.now(UTC)))
        mark_windows_evaluated(session, evaluated=evaluated)
    return [window_id for window_id, _, _ in evaluated]


def _lock_waiting_models(session: Session, *, batch: int, model: str | None) -> list[str]:
    """Lock the models waiting longest (or ``model``) until their windows fill a batch.

    Models another worker holds are passed over, so workers share the backlog model by model
    and none claims (and reads) windows it could not respond to.
    """
    waiting = [(model, batch)] if model is not None else list_waiting_models(session)
    held: list[str] = []
    count = 0
    for name, waiting_count in waiting:
        if count >= batch:
            break
        if try_lock(session, name=model_lock(name)):
            held.append(name)
            count += waiting_count
    return held


def _is_quiet(
    session: Session, model: str, reference: Reference | None, known: dict[str, bool]
) -> bool:
    """Whether a window without signals of ``model`` needs no response: no incident open, no
    action waiting for a window to verify it, no label baseline to score (``known`` caches)."""
    if model not in known:
        known[model] = (
            (reference is None or reference.performance is None)
            and not list_incidents(session, model=model, open_only=True, limit=1)
            and not list_actions(session, model=model, status=ActionStatus.APPLIED, limit=1)
        )
    return known[model]


def _judge_quiet_row(session: Session, row: WindowRow) -> tuple[bool, dict[str, Any] | None]:
    """A quiet window's results if not judged yet (respond_to_window_in would do nothing)."""
    if row.results is not None:
        return True, None
    try:
        window = WindowProfile.from_dict(row.payload)
        closed = ClosedWindow(row.model, window, [])
        return True, window_results_in(session, closed).to_document()
    except (StoreError, ValueError, KeyError, TypeError) as exc:
        log.error("window %s of model %s could not be judged: %s", row.id, row.model, exc)
        return False, None


def _respond_to_row(
    session: Session,
    row: WindowRow,
    rows: Sequence[SignalRow],
    *,
    plan: ResponsePlan,
    reference: Reference | None,
) -> tuple[bool, dict[str, Any] | None]:
    """Whether the window was responded to, and its results if they were judged here."""
    try:
        # A savepoint per window: one that cannot be responded to does not undo the others.
        with session.begin_nested():
            window = WindowProfile.from_dict(row.payload)
            results = None
            if row.results is None:  # stored with judge=False: judged once, here
                closed = ClosedWindow(row.model, window, _signals(rows))
                results = window_results_in(session, closed).to_document()
            respond_to_window_in(
                session,
                model=row.model,
                window=window,
                rows=rows,
                now=row.end,
                plan=plan,
                reference=reference,
            )
    except (StoreError, ValueError, KeyError, TypeError) as exc:
        log.error("window %s of model %s could not be responded to: %s", row.id, row.model, exc)
        return False, None
    return True, results


def _signals(rows: Sequence[SignalRow]) -> list[Signal]:
    return [row.to_signal() for row in rows]


def list_window_profiles(store: Store, *, model: str, limit: int = 100) -> list[WindowProfile]:
    """The stored windows of a model, oldest first."""
    with store.reading() as session:
        rows = list_windows(session, model=model, limit=limit)
        return [WindowProfile.from_dict(row.payload) for row in rows]
