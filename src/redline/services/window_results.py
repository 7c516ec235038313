"""The monitors' result on each drift-watched column of a window, kept with it when it is stored.

A column that raised a signal keeps that signal's statistic, threshold and level: the
monitor's own verdict. A column that raised none is judged once, when the window is stored,
with the drift monitors' own ``judge_column`` and default settings against the reference the
window was profiled on: "ok" when tested, "not tested" when it has too few rows. Readers (the
dashboard, ``/metrics``) show these stored results and never judge a column themselves.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterable

from redline.domain import Level, Signal
from redline.guard.sinks import ClosedWindow
from redline.monitors.columns import DEFAULT_FLOORS, judge_column
from redline.monitors.drift import (
    CategoricalDriftMonitor,
    NumericDriftMonitor,
    PredictionDriftMonitor,
)
from redline.profiles.reference import Reference
from redline.profiles.specs import ColumnSpec, NumericSpec, Role
from redline.profiles.states import CategoricalState, ColumnState, NumericState
from redline.profiles.window import WindowProfile
from redline.services.result_types import NOT_TESTED, OK, ColumnResult, WindowResults
from redline.store import Session, get_reference

__all__ = ["profiled_reference_in", "results_of", "window_results_in"]

#: A signal's loudness, to keep the loudest when a column raised more than one.
_LOUDNESS = {Level.WARNING: 1, Level.ALARM: 2, Level.CRITICAL: 3}
#: Parsed references by (model, content hash): a hash names one content, so entries never age.
_PARSED: OrderedDict[tuple[str, str], Reference] = OrderedDict()
_PARSED_LOCK = threading.Lock()
_PARSED_MAX = 16


def _loudest(signals: Iterable[Signal]) -> dict[str, Signal]:
    """Each column's loudest drift signal (the first of equals)."""
    out: dict[str, Signal] = {}
    for signal in signals:
        if signal.column is None or "drift" not in signal.kind:
            continue
        held = out.get(signal.column)
        if held is None or _LOUDNESS[signal.level] > _LOUDNESS[held.level]:
            out[signal.column] = signal
    return out


def _from_signal(signal: Signal) -> ColumnResult:
    return ColumnResult(
        column=str(signal.column),
        monitor=signal.monitor,
        statistic=signal.statistic,
        value=signal.value,
        threshold=signal.threshold,
        level=signal.level.value,
        n_rows=signal.n_rows,
    )


def _watched(reference: Reference) -> list[tuple[ColumnSpec, str]]:
    """The columns the drift monitors judge, each with the monitor that judges it."""
    out = [
        (s, (NumericDriftMonitor if isinstance(s, NumericSpec) else CategoricalDriftMonitor).name)
        for s in reference.features
    ]
    out += [(s, PredictionDriftMonitor.name) for s in reference.role_columns(Role.PREDICTION)]
    return out


def _judged(
    reference: Reference, spec: ColumnSpec, state: ColumnState, monitor: str
) -> ColumnResult | None:
    """A column without a signal, judged as its monitor does; None if its state does not fit."""
    numeric = isinstance(spec, NumericSpec)
    if numeric != isinstance(state, NumericState) or (
        not numeric and not isinstance(state, CategoricalState)
    ):
        return None
    if len(state.counts) != len(spec.counts):  # not binned on this reference: nothing to judge
        return None
    # The stored result keeps the primary statistic alone: the others are not computed.
    v = judge_column(
        spec, state, window_sizes=reference.window_sizes, floors=DEFAULT_FLOORS, detail=False
    )
    value = v.value if math.isfinite(v.value) else None
    level = OK if v.tested else NOT_TESTED
    return ColumnResult(v.name, monitor, v.statistic, value, v.threshold, level, v.n_rows)


def _unsignalled(
    reference: Reference, window: WindowProfile, loudest: dict[str, Signal]
) -> list[ColumnResult]:
    out = []
    for spec, monitor in _watched(reference):
        signal = loudest.pop(spec.name, None)
        if signal is not None:
            out.append(_from_signal(signal))
            continue
        state = window.columns.get(spec.name)
        source = spec.source if isinstance(spec, NumericSpec) and spec.source else spec.name
        if state is None or source in window.missing:
            continue  # a missing column is the integrity monitors' finding, not a drift result
        judged = _judged(reference, spec, state, monitor)
        if judged is not None:
            out.append(judged)
    return out


def results_of(closed: ClosedWindow, reference: Reference | None) -> WindowResults:
    """The window's result per drift-watched column: its signal's, else judged on ``reference``.

    ``reference`` must be the one the window was profiled on (its ``reference_hash``);
    without one, only the columns that raised signals have results.
    """
    window = closed.window
    loudest = _loudest(closed.signals)
    columns: list[ColumnResult] = []
    if reference is not None:
        columns = _unsignalled(reference, window, loudest)
    columns += [_from_signal(s) for s in loudest.values()]
    return WindowResults(window.reference_hash or None, tuple(columns))


def profiled_reference_in(session: Session, *, model: str, content_hash: str) -> Reference | None:
    """The stored reference of ``model`` with ``content_hash``, parsed once per process."""
    key = (model, content_hash)
    with _PARSED_LOCK:
        parsed = _PARSED.get(key)
        if parsed is not None:
            _PARSED.move_to_end(key)
            return parsed
    row = get_reference(session, model=model, content_hash=content_hash)
    parsed = None if row is None else Reference.from_dict(row.payload)
    if parsed is not None:
        with _PARSED_LOCK:
            _PARSED[key] = parsed
            while len(_PARSED) > _PARSED_MAX:
                _PARSED.popitem(last=False)
    return parsed


def window_results_in(session: Session, closed: ClosedWindow) -> WindowResults:
    """The results stored with ``closed``, judged on the model's stored reference of its hash."""
    reference = None
    if closed.window.reference_hash:
        reference = profiled_reference_in(
            session, model=closed.model, content_hash=closed.window.reference_hash
        )
    return results_of(closed, reference)
