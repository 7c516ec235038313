"""A reference for LLM traffic: the metric columns of known-good calls, calibrated as usual."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from redline.errors import DataError
from redline.llm.chat import field_of
from redline.llm.columns import Prices, language_detector, metrics_of, scores_of
from redline.llm.turn import TextScanner
from redline.profiles.fit import fit_reference
from redline.profiles.reference import Reference
from redline.scanners.base import Direction, ScanContext

__all__ = ["CATEGORICAL_COLUMNS", "fit_llm_reference", "record_of"]

#: Metric columns profiled as categories; every other metric column is numeric.
CATEGORICAL_COLUMNS = frozenset({"finish_reason", "language"})


def record_of(call: Mapping[str, Any], scanners: TextScanner | None = None) -> dict[str, Any]:
    """One reference call as the request path records it (``usage`` read like the upstream's;
    ``scores`` from ``scanners`` when the call has none)."""
    record = dict(call)
    if scanners is not None and record.get("scores") is None:
        record["scores"] = _scanned(record, scanners)
    usage = call.get("usage")
    for name in ("prompt_tokens", "completion_tokens"):
        if record.get(name) is None and usage is not None:
            record[name] = field_of(usage, name)
    if "llm_model" not in record and "model" in call:
        record["llm_model"] = call["model"]
    return record


def _scanned(record: Mapping[str, Any], scanners: TextScanner) -> dict[str, float]:
    """The scores the guard would record for this call's prompt and answer."""
    system = record.get("system_prompt")
    scores: dict[str, float] = {}
    sides: tuple[tuple[str, Direction], ...] = (("prompt", "prompt"), ("answer", "output"))
    for field, side in sides:
        text = record.get(field)
        if isinstance(text, str):
            verdict = scanners.scan(text, ScanContext(side, system_prompt=system))
            scores.update(scores_of(side, verdict))
    return scores


def fit_llm_reference(
    records: Iterable[Mapping[str, Any]],
    *,
    scanners: TextScanner | None = None,
    prices: Prices | None = None,
    language: bool = True,
    **fit_options: Any,
) -> Reference:
    """Fit a Reference over the metric columns of known-good LLM calls.

    Each record has ``prompt`` and ``answer`` and, when known, ``usage`` (or
    ``prompt_tokens``/``completion_tokens``), ``latency_ms``, ``ttft_ms``, ``finish_reason``,
    ``llm_model`` (for ``prices``: model -> dollars per 1k input and output tokens),
    ``logprobs``/``top_logprobs`` and ``scores`` (scanner score columns; with ``scanners``,
    the scores of the prompt and answer, as the guard records them). Columns no record
    fills (e.g. ``ttft_ms`` without streaming) are left out; ``fit_options`` go to
    :func:`redline.fit_reference`.

    >>> calls = [{"prompt": "hi", "answer": "hello there", "latency_ms": 100.0 + i % 7}
    ...          for i in range(200)]
    >>> ref = fit_llm_reference(calls, window_sizes=[50])
    >>> "output_entropy" in ref.columns and "ttft_ms" not in ref.columns
    True
    """
    detect = language_detector() if language else None
    rows = [metrics_of(record_of(r, scanners), prices=prices, language=detect) for r in records]
    if len(rows) < 2:
        raise DataError(f"an LLM reference needs at least 2 calls; got {len(rows)}")
    names = sorted({name for row in rows for name in row})
    columns: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for name in names:
        values = [row.get(name) for row in rows]
        if name in CATEGORICAL_COLUMNS:
            if all(v is None for v in values):
                continue
            columns[name], kinds[name] = np.asarray(values, dtype=object), "categorical"
            continue
        numbers = np.asarray([np.nan if v is None else v for v in values], dtype=float)
        if np.isnan(numbers).all():
            continue
        columns[name], kinds[name] = numbers, "numeric"
    return fit_reference(columns, kinds=kinds, **fit_options)
