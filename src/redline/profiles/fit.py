"""fit_reference: learn bins, vocabularies, moments and calibrated thresholds from data."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from redline.domain import ColumnKind
from redline.errors import DataError, SchemaError
from redline.profiles.calibration import DEFAULT_WINDOW_SIZES, calibrate_thresholds
from redline.profiles.drift import PRIMARY, primary_statistic
from redline.profiles.encoding import numeric_values, text_descriptor
from redline.profiles.integrity_calibration import calibrate_mapping
from redline.profiles.kinds import infer_kind
from redline.profiles.performance import TASKS, performance_metrics
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, ColumnSpec, NumericSpec, Role
from redline.profiles.tabular import TableLike, n_rows_of, to_columns
from redline.profiles.targets import infer_task, role_kind, warn_label_like
from redline.profiles.text_calibration import calibrate_text
from redline.profiles.text_drift import TOKEN_STATISTIC
from redline.profiles.text_sketch import TextSpec, fit_text_spec
from redline.profiles.vocab import fit_vocabulary

__all__ = ["fit_reference"]

TEXT_DESCRIPTORS = ("length", "words")


def _quantile_levels(n_bins: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Equal-mass levels, refined in both tails where equal-mass bins are too wide to be flat."""
    tails = np.array([0.001, 0.003, 0.01, 0.02])
    levels = np.concatenate([np.linspace(0.0, 1.0, n_bins + 1), tails, 1.0 - tails])
    return np.unique(levels)


def _fit_numeric(name: str, values: Any, kind: ColumnKind, role: Role, n_bins: int) -> NumericSpec:
    parts = numeric_values(values)
    x = parts.finite
    total = x.size + parts.n_null + parts.n_nonfinite + parts.n_invalid
    if x.size == 0:
        raise DataError(f"column {name!r} has no finite numeric values in the reference")
    edges = np.unique(np.quantile(x, _quantile_levels(n_bins)))
    # Bins are [e_i, e_i+1): an extra edge just above the maximum gives the maximum its own
    # inner bin, so every distinct value of a discrete column keeps a bin of its own.
    edges = np.append(edges, np.nextafter(edges[-1], np.inf))
    bins = np.searchsorted(edges, x, side="right")
    counts = np.bincount(bins, minlength=edges.size + 1).astype(np.float64)
    # The chance that a new draw falls outside the sample's range is 2/(n+1): split it evenly.
    counts[0] = counts[-1] = x.size / (x.size + 1.0)
    return NumericSpec(
        name=name,
        kind=kind,
        role=role,
        edges=edges,
        counts=counts,
        n=int(x.size),
        mean=float(x.mean()),
        std=float(x.std()),
        min=float(x.min()),
        max=float(x.max()),
        null_share=(total - x.size) / total if total else 0.0,
    )


def _fit_column(
    name: str, values: Any, kind: ColumnKind, role: Role, n_bins: int, max_categories: int
) -> list[ColumnSpec]:
    if kind == ColumnKind.NUMERIC:
        return [_fit_numeric(name, values, kind, role, n_bins)]
    if kind == ColumnKind.TEXT:
        out: list[ColumnSpec] = []
        for d in TEXT_DESCRIPTORS:
            spec = _fit_numeric(f"{name}.{d}", text_descriptor(values, d), kind, role, n_bins)
            out.append(_with(spec, source=name, descriptor=d))
        return out
    vocab, counts, n, null_share, unseen = fit_vocabulary(values, kind, max_categories)
    return [CategoricalSpec(name, kind, role, vocab, counts, n, null_share, unseen)]


def _with(spec: NumericSpec, **changes: Any) -> NumericSpec:
    from dataclasses import replace

    return replace(spec, **changes)


def _roles(target: str | None, prediction: str | None, confidence: str | None) -> dict[str, Role]:
    out = {}
    for name, role in (
        (target, Role.TARGET),
        (prediction, Role.PREDICTION),
        (confidence, Role.CONFIDENCE),
    ):
        if name is not None:
            out[name] = role
    return out


def fit_reference(
    data: TableLike,
    *,
    target: str | None = None,
    prediction: str | None = None,
    confidence: str | None = None,
    task: str | None = None,
    kinds: Mapping[str, ColumnKind | str] | None = None,
    columns: Sequence[str] | None = None,
    window_sizes: Sequence[int] = DEFAULT_WINDOW_SIZES,
    alpha: float = 0.01,
    n_bins: int = 30,
    max_categories: int = 50,
    seed: int = 0,
) -> Reference:
    """Fit a reference profile with thresholds calibrated for each of ``window_sizes``.

    Thresholds are the (1 - alpha/d) quantile of each column's primary statistic over
    bootstrap windows drawn from the reference, d being the number of monitored columns.
    With ``target`` and ``prediction`` the reference keeps baseline metrics for a ``task``
    inferred from them unless given: 0/1 integers and booleans are classes, other numbers are
    regression. ``ref.performance["task_reason"]`` says which and how to override it. A column
    named like a label (``y``, ``label``, ``churn``...) without ``target=`` raises a warning.
    A text feature gets ``length`` and ``words`` descriptors and a hashed token sketch in
    ``ref.texts`` (``<column>.tokens``, docs/text-drift.md), counted in d.

    >>> ref = fit_reference({"x": np.arange(1000.0), "c": ["a", "b"] * 500}, window_sizes=[100])
    >>> sorted(ref.columns)
    ['c', 'x']
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    if not window_sizes or min(window_sizes) < 1:
        raise ValueError("window_sizes must be a non-empty list of positive sizes")
    if task is not None and task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)} or None, got {task!r}")
    cols = to_columns(data)
    n = n_rows_of(cols)
    if n < 2:
        raise DataError(f"the reference needs at least 2 rows; got {n}")
    roles = _roles(target, prediction, confidence)
    wanted = list(columns) if columns is not None else list(cols)
    for name in [*wanted, *roles, *(kinds or {})]:
        if name not in cols:
            raise SchemaError(
                f"column {name!r} is not in the reference data; it has {sorted(cols)}"
            )
    warn_label_like({n: cols[n] for n in wanted if n not in roles}, target=target)
    specs: list[ColumnSpec] = []
    texts: list[str] = []
    ignored: dict[str, str] = {}
    for name in dict.fromkeys([*wanted, *roles]):
        kind = _kind_of(cols[name], kinds.get(name) if kinds else None, roles.get(name), task)
        if kind is None:
            ignored[name] = f"dtype {getattr(cols[name], 'dtype', '?')} is not profiled"
            continue
        if kind == ColumnKind.TEXT and name not in roles:
            texts.append(name)
        specs.extend(
            _fit_column(
                name, cols[name], kind, roles.get(name, Role.FEATURE), n_bins, max_categories
            )
        )
    monitored = [s for s in specs if s.role != Role.TARGET]
    sizes = tuple(sorted({int(w) for w in window_sizes}))
    quantile = 1.0 - alpha / max(len(monitored) + len(texts), 1)
    calibrated = {s.name: _calibrate(s, sizes, quantile, seed) for s in monitored}
    specs = [_with_thresholds(s, calibrated.get(s.name)) for s in specs]
    sketches = [_fit_tokens(name, cols[name], sizes, quantile, seed) for name in texts]
    return Reference(
        columns={s.name: s for s in specs},
        n_rows=n,
        window_sizes=sizes,
        alpha=alpha,
        created_at=datetime.now(UTC).isoformat(),
        ignored=ignored,
        performance=_baseline(cols, specs, (target, prediction), task),
        texts={t.name: t for t in sketches},
    )


def _kind_of(
    values: Any, declared: ColumnKind | str | None, role: Role | None, task: str | None
) -> ColumnKind | None:
    """The declared kind, else inferred (a target's or prediction's 0/1 values are classes)."""
    if declared is not None:
        return ColumnKind(declared)
    if role in (Role.TARGET, Role.PREDICTION):
        return role_kind(values, task=task)
    return infer_kind(values)


def _baseline(
    cols: Mapping[str, Any],
    specs: list[ColumnSpec],
    names: tuple[str | None, str | None],
    task: str | None,
) -> dict[str, Any] | None:
    """Metrics of the prediction against the target and why that task; None without both."""
    target, prediction = names
    kinds = {s.role: s.kind for s in specs if s.role in (Role.TARGET, Role.PREDICTION)}
    if target is None or prediction is None or Role.TARGET not in kinds:
        return None
    chosen, reason = infer_task(
        (target, kinds[Role.TARGET]), (prediction, kinds.get(Role.PREDICTION)), task=task
    )
    metrics = performance_metrics(cols[target], cols[prediction], task=chosen)
    return None if metrics is None else {**metrics, "task_reason": reason}


def _column_seed(seed: int, name: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % 2**32


def _fit_tokens(
    name: str, values: Any, sizes: tuple[int, ...], quantile: float, seed: int
) -> TextSpec:
    """A text feature's token sketch with its JS distance calibrated per window size."""
    from dataclasses import replace

    spec, batch = fit_text_spec(name, values, Role.FEATURE)
    thresholds = calibrate_text(
        batch,
        spec.counts.size,
        window_sizes=sizes,
        quantile=quantile,
        seed=_column_seed(seed, spec.name),
    )
    return replace(spec, thresholds={TOKEN_STATISTIC: thresholds} if thresholds else {})


def _calibrate(
    spec: ColumnSpec, sizes: tuple[int, ...], quantile: float, seed: int
) -> dict[str, list[float]]:
    kind = "numeric" if isinstance(spec, NumericSpec) else "categorical"
    column_seed = _column_seed(seed, spec.name)
    values = calibrate_thresholds(
        primary_statistic(spec),
        spec.counts,
        n_ref=spec.n,
        window_sizes=sizes,
        quantile=quantile,
        seed=column_seed,
    )
    out = {PRIMARY[kind]: [round(v, 9) for v in values]}
    if isinstance(spec, CategoricalSpec) and spec.role == Role.FEATURE and len(spec.vocab) >= 2:
        out |= calibrate_mapping(spec.counts, n_ref=spec.n, window_sizes=sizes, seed=column_seed)
    return out


def _with_thresholds(spec: ColumnSpec, thresholds: dict[str, list[float]] | None) -> ColumnSpec:
    from dataclasses import replace

    return replace(spec, thresholds=thresholds or {})
