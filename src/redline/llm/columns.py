"""The window columns of LLM traffic, derived off the request path from what each call recorded.

The request path records raw facts (`RAW_FIELDS`); the window thread turns them into the
columns a reference profiles (`metrics_of`, the same function `fit_llm_reference` uses) and
counts the answers that carried PII into one critical ``pii_leak`` signal per window.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from redline.domain import Level, Signal
from redline.llm.canaries import PlantedCanaries, planted_map
from redline.llm.metrics import (
    cost_usd,
    estimate_tokens,
    is_refusal,
    lexical_entropy,
    repetition_ratio,
    token_entropy,
)
from redline.llm.watch import MAX_IDS, CallWatch
from redline.monitors.base import window_signal
from redline.profiles.tabular import Columns, n_rows_of
from redline.profiles.window import WindowProfile
from redline.scanners.base import Verdict

__all__ = [
    "RAW_FIELDS",
    "CallDetails",
    "LLMColumns",
    "Prices",
    "language_detector",
    "metrics_of",
    "score_column",
    "scores_of",
]

Prices = Mapping[str, tuple[float, float]]

#: What the request path records for each call (the keys of a recorded row).
RAW_FIELDS = (
    "request_id",
    "prompt",
    "answer",
    "model_output",
    "prompt_tokens",
    "completion_tokens",
    "llm_model",
    "finish_reason",
    "latency_ms",
    "ttft_ms",
    "details",
)


@dataclass(frozen=True, slots=True)
class CallDetails:
    """The non-scalar facts of one call, kept whole in one buffer slot (numpy leaves it be)."""

    logprobs: tuple[float, ...] = ()
    top_logprobs: tuple[tuple[float, ...], ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    pii: tuple[str, ...] = ()
    source: str | None = None

    def fields(self) -> dict[str, Any]:
        """As record fields (``logprobs``, ``top_logprobs``, ``scores``, ``pii``, ``source``)."""
        return {
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
            "scores": self.scores,
            "pii": self.pii,
            "source": self.source,
        }


def score_column(direction: str, scanner: str) -> str:
    """The window column of one scanner's score on prompts or on outputs."""
    return f"{direction}_{scanner}_score"


def scores_of(direction: str, verdict: Verdict) -> dict[str, float]:
    """Every scanner's score in a verdict, by window column."""
    return {score_column(direction, f.scanner): float(f.score) for f in verdict.findings}


def language_detector() -> Callable[[str], str] | None:
    """``langid``'s classifier when it is installed (it ships its model), else None."""
    try:
        import langid  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None

    def detect(text: str) -> str:
        return str(langid.classify(text)[0])

    return detect


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _tokens(given: Any, text: str | None) -> float:
    if _is_number(given) and not math.isnan(given):
        return float(given)
    return float(estimate_tokens(text)) if text is not None else math.nan


def metrics_of(
    record: Mapping[str, Any],
    *,
    prices: Prices | None = None,
    language: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The metric columns of one call (answer figures are NaN/None when no answer is recorded)."""
    prompt, answer = _text(record.get("prompt")), _text(record.get("answer"))
    prompt_tokens = _tokens(record.get("prompt_tokens"), prompt)
    completion_tokens = _tokens(record.get("completion_tokens"), answer)
    out: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "latency_ms": _float(record.get("latency_ms")),
        "ttft_ms": _float(record.get("ttft_ms")),
        "finish_reason": record.get("finish_reason") if answer is not None else None,
        "refusal": float(is_refusal(answer)) if answer is not None else math.nan,
        "output_entropy": lexical_entropy(answer) if answer is not None else math.nan,
        "repetition_ratio": repetition_ratio(answer) if answer is not None else math.nan,
        "token_entropy": token_entropy(
            record.get("logprobs") or (), record.get("top_logprobs") or ()
        ),
    }
    price = prices.get(str(record.get("llm_model"))) if prices else None
    out["cost_usd"] = cost_usd(prompt_tokens, completion_tokens, price) if price else math.nan
    if language is not None:
        out["language"] = language(answer) if answer else None
    for name, score in (record.get("scores") or {}).items():
        out[name] = float(score)
    return out


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _float(value: Any) -> float:
    return float(value) if _is_number(value) else math.nan


class LLMColumns:
    """`DerivedColumns` for LLM calls: metric columns, and per-window signals (``pii_leak``,
    ``canary_leak`` naming where the canary was planted, and what each of ``watches`` sees)."""

    def __init__(
        self,
        columns: Collection[str],
        *,
        prices: Prices | None = None,
        language: bool = True,
        leak_canaries: Sequence[str] | Mapping[str, str] = (),
        watches: Sequence[CallWatch] = (),
    ) -> None:
        self.columns = tuple(columns)
        self.canaries = PlantedCanaries(planted_map(leak_canaries))
        self.watches: tuple[CallWatch, ...] = (*watches, self.canaries)
        self.prices = dict(prices or {})
        self._language = language_detector() if language and "language" in columns else None
        self._pii: list[tuple[str, tuple[str, ...]]] = []

    @property
    def names(self) -> tuple[str, ...]:
        """The raw fields recorded per call."""
        return RAW_FIELDS

    def derive(self, columns: Columns) -> Columns:
        """The reference's metric columns of a chunk of recorded calls (window thread only)."""
        n = n_rows_of(columns)
        rows = [self._row(columns, i) for i in range(n)]
        derived = [metrics_of(r, prices=self.prices, language=self._language) for r in rows]
        for row, metrics in zip(rows, derived, strict=True):
            if row.get("pii"):
                self._pii.append((str(row.get("request_id")), tuple(row["pii"])))
            for watch in self.watches:
                watch.add(row, metrics)
        out: Columns = {}
        for name in self.columns:
            values = [d.get(name) for d in derived]
            if all(v is None or isinstance(v, str) for v in values):
                out[name] = np.asarray(values, dtype=object)
            else:
                out[name] = np.asarray([math.nan if v is None else v for v in values], dtype=float)
        return out

    @staticmethod
    def _row(columns: Columns, i: int) -> dict[str, Any]:
        row = {name: columns[name][i] for name in RAW_FIELDS if name in columns}
        details = row.pop("details", None)
        if isinstance(details, CallDetails):
            row.update(details.fields())
        return row

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """Critical ``pii_leak`` and ``canary_leak`` signals, then each watch's, for the window."""
        out = self._pii_signals(model, window)
        for watch in self.watches:
            out += watch.signals(model, window)
        return out

    def _pii_signals(self, model: str, window: WindowProfile) -> list[Signal]:
        hits, self._pii = self._pii, []
        if not hits:
            return []
        entity_types = sorted({entity for _, entities in hits for entity in entities})
        return [
            window_signal(
                model,
                window,
                monitor="pii_output",
                kind="pii_leak",
                column="answer",
                statistic="outputs_with_pii",
                value=len(hits),
                threshold=0.0,
                level=Level.CRITICAL,
                evidence={
                    "request_ids": [rid for rid, _ in hits[:MAX_IDS]],
                    "entity_types": entity_types,
                    "count": len(hits),
                },
            )
        ]
