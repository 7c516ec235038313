"""Monitor registry (name -> class) and the suite that evaluates a window with all of them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.monitors.confidence import ConfidenceMonitor
from redline.monitors.drift import (
    CategoricalDriftMonitor,
    NumericDriftMonitor,
    PredictionDriftMonitor,
)
from redline.monitors.integrity import IntegrityMonitor
from redline.monitors.latency import LatencyMonitor
from redline.monitors.sources import SourceShareMonitor
from redline.monitors.text_drift import TextDriftMonitor
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

__all__ = ["REGISTRY", "MonitorSuite", "create_monitor"]

REGISTRY: dict[str, type[Monitor]] = {
    cls.name: cls
    for cls in (
        NumericDriftMonitor,
        CategoricalDriftMonitor,
        TextDriftMonitor,
        PredictionDriftMonitor,
        ConfidenceMonitor,
        LatencyMonitor,
        IntegrityMonitor,
        SourceShareMonitor,
    )
}

#: Signal kinds that count as independent evidence for agreement.
_AGREEING_KINDS = {"feature_drift", "prediction_drift", "confidence_drop", "source_share"}


def create_monitor(name: str, reference: Reference, **params: Any) -> Monitor:
    """Build a registered monitor by name, with a clear error for unknown names."""
    try:
        cls = REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"unknown monitor {name!r}; known monitors: {known}") from None
    return cls(reference, **params)


class MonitorSuite:
    """Every configured monitor of one model; agreement between them raises warnings to alarms."""

    def __init__(
        self,
        reference: Reference,
        config: Mapping[str, Mapping[str, Any] | None] | None = None,
        *,
        model: str | None = None,
    ) -> None:
        chosen = config if config is not None else dict.fromkeys(REGISTRY)
        self.model = model
        self.monitors: Sequence[Monitor] = [
            create_monitor(name, reference, **dict(params or {})) for name, params in chosen.items()
        ]

    def evaluate(self, window: WindowProfile) -> list[Signal]:
        """All signals for one closed window, with the model name and agreement applied."""
        signals = [s for m in self.monitors for s in m.update(window).signals]
        kinds = {s.kind for s in signals if s.kind in _AGREEING_KINDS}
        agree = len(kinds) >= 2
        out = []
        for s in signals:
            level = s.level
            evidence = s.evidence
            if agree and level == Level.WARNING and s.kind in _AGREEING_KINDS:
                level = Level.ALARM
                evidence = {**evidence, "agreeing_kinds": sorted(kinds)}
            out.append(replace(s, model=self.model, level=level, evidence=evidence))
        return out

    def reset(self) -> MonitorSuite:
        """Forget all windows."""
        for m in self.monitors:
            m.reset()
        return self
