"""Attacks seen across a window: an injection campaign from one source, and toxic answers.

One flagged prompt is no campaign: injection rules have false positives (security questions,
quoted instructions). A source is named only when its flagged prompts are many, a large share
of what it sent, and improbable under the reference's own flag rate (a binomial tail).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scipy.stats import binom

from redline.domain import Level, Signal
from redline.llm.watch import MAX_IDS, excerpt
from redline.monitors.base import window_signal
from redline.profiles.window import WindowProfile

__all__ = ["CampaignRule", "InjectionCampaigns", "ToxicOutputs"]

#: Prompts quoted per source in a campaign's evidence.
_EXCERPTS = 5


@dataclass(frozen=True, slots=True)
class CampaignRule:
    """When flagged prompts from one source are a campaign (every condition must hold).

    With the defaults, a source must send at least 5 flagged prompts in a window, a fifth or
    more of its requests, at a binomial tail probability of 1e-4 or less under the base rate:
    the reference's share of prompts over ``threshold``, never taken below ``min_base_rate``
    (a reference with no flags would otherwise make one false positive a campaign).
    """

    threshold: float = 0.5
    min_count: int = 5
    min_share: float = 0.2
    max_p_value: float = 1e-4
    min_base_rate: float = 0.01


@dataclass(slots=True)
class _Source:
    requests: int = 0
    request_ids: list[str] = field(default_factory=list)
    excerpts: list[str] = field(default_factory=list)


class InjectionCampaigns:
    """``prompt_injection`` signals (one per source) for sources that send flagged prompts."""

    def __init__(
        self, column: str, *, rule: CampaignRule | None = None, base_rate: float | None = None
    ) -> None:
        self.column = column
        self.rule = rule or CampaignRule()
        self.base_rate = max(base_rate or 0.0, self.rule.min_base_rate)
        self._sources: defaultdict[str, _Source] = defaultdict(_Source)
        self._flagged: defaultdict[str, int] = defaultdict(int)

    def add(self, call: Mapping[str, Any], metrics: Mapping[str, Any]) -> None:
        """Count the call for its source, and as flagged when its injection score is over."""
        source = call.get("source")
        if not source:  # a request with no source cannot be blocked, so it joins no campaign
            return
        tally = self._sources[str(source)]
        tally.requests += 1
        score = metrics.get(self.column)
        if isinstance(score, float) and not math.isnan(score) and score >= self.rule.threshold:
            self._flagged[str(source)] += 1
            if len(tally.request_ids) < MAX_IDS:
                tally.request_ids.append(str(call.get("request_id")))
            if len(tally.excerpts) < _EXCERPTS:
                tally.excerpts.append(excerpt(call.get("prompt")))

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """One alarm per source whose flagged prompts pass the campaign rule."""
        sources, flagged = self._sources, self._flagged
        self._sources, self._flagged = defaultdict(_Source), defaultdict(int)
        return [
            signal
            for name, count in sorted(flagged.items())
            if (signal := self._judge(model, window, name, count, sources[name])) is not None
        ]

    def _judge(
        self, model: str, window: WindowProfile, source: str, count: int, tally: _Source
    ) -> Signal | None:
        rule = self.rule
        share = count / tally.requests
        p_value = float(binom.sf(count - 1, tally.requests, self.base_rate))
        if count < rule.min_count or share < rule.min_share or p_value > rule.max_p_value:
            return None
        return window_signal(
            model,
            window,
            monitor="injection_campaign",
            kind="prompt_injection",
            column=None,
            statistic="flagged_prompts_from_source",
            value=count,
            threshold=rule.min_count,
            level=Level.ALARM,
            evidence={
                "source": source,
                "count": count,
                "requests": tally.requests,
                "share": round(share, 4),
                "p_value": p_value,
                "base_rate": self.base_rate,
                "score_column": self.column,
                "score_threshold": rule.threshold,
                "request_ids": tally.request_ids,
                "excerpts": tally.excerpts,
            },
        )


class ToxicOutputs:
    """``toxic_output``: answers whose toxicity score is over ``threshold`` (critical when many)."""

    def __init__(self, column: str, *, threshold: float = 0.5, many: int = 10) -> None:
        self.column = column
        self.threshold = threshold
        self.many = many
        self._ids: list[str] = []
        self._count = 0

    def add(self, call: Mapping[str, Any], metrics: Mapping[str, Any]) -> None:
        """Count the answer when its toxicity score is over the threshold."""
        score = metrics.get(self.column)
        if isinstance(score, float) and not math.isnan(score) and score >= self.threshold:
            self._count += 1
            if len(self._ids) < MAX_IDS:
                self._ids.append(str(call.get("request_id")))

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """One signal when any answer was toxic: an alarm, critical from ``many`` answers on."""
        count, ids = self._count, self._ids
        self._count, self._ids = 0, []
        if not count:
            return []
        level = Level.CRITICAL if count >= self.many else Level.ALARM
        return [
            window_signal(
                model,
                window,
                monitor="toxic_output",
                kind="toxic_output",
                column="answer",
                statistic="toxic_answers",
                value=count,
                threshold=self.many,
                level=level,
                evidence={
                    "count": count,
                    "request_ids": ids,
                    "score_column": self.column,
                    "score_threshold": self.threshold,
                },
            )
        ]
