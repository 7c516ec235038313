"""Confidence drop: the window's mean confidence below the reference, in reference σ."""

from __future__ import annotations

import math

from scipy.special import ndtri

from redline.domain import Level, Signal
from redline.monitors.base import Monitor
from redline.profiles.reference import Reference
from redline.profiles.specs import NumericSpec, Role
from redline.profiles.states import NumericState
from redline.profiles.window import WindowProfile

__all__ = ["ConfidenceMonitor"]


class ConfidenceMonitor(Monitor):
    """Alarm when mean confidence drops by more than both noise and ``min_drop_sd``.

    The noise bound is the one-sided (1 - alpha) quantile of the difference of two means,
    sqrt(1/w + 1/n_ref) standard deviations.
    """

    name = "confidence_drop"

    def __init__(
        self,
        reference: Reference,
        *,
        min_drop_sd: float = 0.25,
        alpha: float = 0.001,
        min_rows: int = 100,
    ) -> None:
        super().__init__(reference)
        self.min_drop_sd = min_drop_sd
        self.alpha = alpha
        self.min_rows = min_rows

    def _evaluate(self, window: WindowProfile) -> list[Signal]:
        out = []
        for spec in self.reference.role_columns(Role.CONFIDENCE):
            state = window.columns[spec.name]
            if not isinstance(spec, NumericSpec) or not isinstance(state, NumericState):
                continue
            if state.n < self.min_rows or spec.std <= 0:
                continue
            drop = (spec.mean - state.mean) / spec.std
            noise = float(ndtri(1 - self.alpha)) * math.sqrt(1 / state.n + 1 / spec.n)
            threshold = max(noise, self.min_drop_sd)
            if drop > threshold:
                out.append(
                    Signal(
                        monitor=self.name,
                        kind="confidence_drop",
                        column=spec.name,
                        statistic="mean_drop_sd",
                        value=drop,
                        threshold=threshold,
                        level=Level.WARNING,
                        window_start=window.start,
                        window_end=window.end,
                        n_rows=state.n,
                        evidence={"reference_mean": spec.mean, "current_mean": state.mean},
                    )
                )
        return out
