"""Runaway generation: answers stuck in a loop, and tokens or cost per request far above normal.

The drift monitors see these columns move either way; this watch says which way, how far, and
what to cap: every signal carries ``max_tokens``, the reference's p99 completion tokens with a
quarter of headroom, which ``limit_generation`` applies when the policy contains the incident.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from redline.domain import Level, Signal
from redline.llm.watch import MAX_IDS, flag_rate
from redline.monitors.base import window_signal
from redline.profiles.reference import Reference
from redline.profiles.specs import CategoricalSpec, NumericSpec
from redline.profiles.window import WindowProfile

__all__ = ["Baseline", "RunawayRule", "RunawayWatch", "suggested_max_tokens"]

#: Headroom over the reference's p99 completion tokens in a suggested cap: few normal answers
#: (well under 1%) are cut, while a loop stops within a quarter of the longest normal answer.
CAP_HEADROOM = 1.25


@dataclass(frozen=True, slots=True)
class RunawayRule:
    """Thresholds of the watch; ratios are of the window's mean to the reference's mean."""

    min_answers: int = 10
    spike_ratio: float = 2.0  # warning: SEV3
    large_ratio: float = 4.0  # alarm: SEV2 with the token cap
    loop_ratio: float = 0.5  # an answer whose repetition ratio reaches this is a loop
    min_loops: int = 3
    loop_share: float = 0.05  # warning, and at least 3x the reference's own share
    large_loop_share: float = 0.25  # alarm


@dataclass(frozen=True, slots=True)
class Baseline:
    """What the reference says is normal: mean tokens and cost, the loop share, a token cap."""

    completion_tokens: float | None = None
    cost_usd: float | None = None
    loop_share: float = 0.0
    max_tokens: int | None = None

    @classmethod
    def of(cls, reference: Reference, rule: RunawayRule) -> Baseline:
        """Read the baseline off a reference fitted by `fit_llm_reference`."""
        tokens, cost = reference.columns.get("completion_tokens"), reference.columns.get("cost_usd")
        loops = flag_rate(reference, "repetition_ratio", rule.loop_ratio) or 0.0
        reasons = reference.columns.get("finish_reason")
        if isinstance(reasons, CategoricalSpec) and "length" in reasons.vocab:
            loops += float(reasons.bin_shares[reasons.vocab.index("length")])
        return cls(
            completion_tokens=_mean(tokens),
            cost_usd=_mean(cost),
            loop_share=min(loops, 1.0),
            max_tokens=suggested_max_tokens(reference),
        )


def _mean(spec: Any) -> float | None:
    if isinstance(spec, NumericSpec) and math.isfinite(spec.mean) and spec.mean > 0:
        return float(spec.mean)
    return None


def suggested_max_tokens(reference: Reference) -> int | None:
    """The token cap for a runaway model: ``ceil(1.25 × p99)`` of the reference's completion
    tokens (None without that column).

    >>> import numpy as np, redline
    >>> ref = redline.fit_reference({"completion_tokens": np.arange(1.0, 201.0)}, window_sizes=[50])
    >>> 245 <= suggested_max_tokens(ref) <= 250
    True
    """
    spec = reference.columns.get("completion_tokens")
    if not isinstance(spec, NumericSpec):
        return None
    p99 = float(spec.quantiles([0.99])[0])
    return max(math.ceil(CAP_HEADROOM * p99), 1) if math.isfinite(p99) else None


@dataclass(slots=True)
class _Tally:
    answers: int = 0
    tokens: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)


class RunawayWatch:
    """``generation_loop``, ``token_spike`` and ``cost_spike`` signals, per window."""

    def __init__(self, reference: Reference, rule: RunawayRule | None = None) -> None:
        self.rule = rule or RunawayRule()
        self.baseline = Baseline.of(reference, self.rule)
        self._tally = _Tally()

    def add(self, call: Mapping[str, Any], metrics: Mapping[str, Any]) -> None:
        """Count one answer (calls with no answer count for nothing)."""
        if call.get("answer") is None:
            return
        tally = self._tally
        tally.answers += 1
        for name, values in (("completion_tokens", tally.tokens), ("cost_usd", tally.costs)):
            value = metrics.get(name)
            if isinstance(value, float) and math.isfinite(value):
                values.append(value)
        repetition = metrics.get("repetition_ratio")
        looping = isinstance(repetition, float) and repetition >= self.rule.loop_ratio
        if looping or metrics.get("finish_reason") == "length":
            tally.loops.append(str(call.get("request_id")))

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """The window's runaway signals; a window with too few answers says nothing."""
        tally, self._tally = self._tally, _Tally()
        if tally.answers < self.rule.min_answers:
            return []
        base = self.baseline
        found = [
            self._spike(
                model,
                window,
                "token_spike",
                "completion_tokens",
                tally.tokens,
                base.completion_tokens,
            ),
            self._spike(model, window, "cost_spike", "cost_usd", tally.costs, base.cost_usd),
            self._loops(model, window, tally),
        ]
        return [s for s in found if s is not None]

    def _spike(
        self,
        model: str,
        window: WindowProfile,
        kind: str,
        column: str,
        values: list[float],
        reference_mean: float | None,
    ) -> Signal | None:
        rule = self.rule
        if reference_mean is None or len(values) < rule.min_answers:
            return None
        mean = sum(values) / len(values)
        ratio = mean / reference_mean
        if ratio < rule.spike_ratio:
            return None
        level = Level.ALARM if ratio >= rule.large_ratio else Level.WARNING
        evidence = {"window_mean": mean, "reference_mean": reference_mean, "answers": len(values)}
        return self._signal(
            model, window, kind, column, "mean_ratio", ratio, rule.spike_ratio, level, evidence
        )

    def _loops(self, model: str, window: WindowProfile, tally: _Tally) -> Signal | None:
        rule = self.rule
        share = len(tally.loops) / tally.answers
        floor = max(rule.loop_share, 3.0 * self.baseline.loop_share)
        if len(tally.loops) < rule.min_loops or share < floor:
            return None
        level = Level.ALARM if share >= max(rule.large_loop_share, floor) else Level.WARNING
        evidence = {
            "loops": len(tally.loops),
            "answers": tally.answers,
            "reference_share": self.baseline.loop_share,
            "request_ids": tally.loops[:MAX_IDS],
        }
        return self._signal(
            model,
            window,
            "generation_loop",
            "repetition_ratio",
            "loop_share",
            share,
            floor,
            level,
            evidence,
        )

    def _signal(
        self,
        model: str,
        window: WindowProfile,
        kind: str,
        column: str,
        statistic: str,
        value: float,
        threshold: float,
        level: Level,
        evidence: dict[str, Any],
    ) -> Signal:
        if self.baseline.max_tokens is not None:
            evidence["max_tokens"] = self.baseline.max_tokens
        return window_signal(
            model,
            window,
            monitor="runaway_generation",
            kind=kind,
            column=column,
            statistic=statistic,
            value=value,
            threshold=threshold,
            level=level,
            evidence=evidence,
        )
