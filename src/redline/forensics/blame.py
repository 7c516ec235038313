"""Data blame: when the shift began in the stored window series, and what it touched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from redline.forensics.attribution import (
    Baseline,
    baseline_of,
    column_counts,
    feature_shares,
    merge_windows,
)
from redline.forensics.changepoint import find_change_point
from redline.forensics.report import isolate
from redline.profiles.reference import Reference
from redline.profiles.window import WindowProfile

__all__ = ["drift_series", "locate_shift"]


def _signed_excess(baseline: Baseline, window: WindowProfile) -> float:
    current = column_counts(window, list(baseline.counts))
    return float(sum(f.js_distance - f.noise_floor for f in feature_shares(baseline, current)))


def drift_series(baseline: Baseline, windows: Sequence[WindowProfile]) -> list[float]:
    """Each window's drift against ``baseline``: its features' JS distances less their noise
    floors, summed unclipped, so shifts smaller than the noise still move the series."""
    return [_signed_excess(baseline, w) for w in windows]


def _window_ref(window: WindowProfile, drift: float) -> dict[str, Any]:
    return {
        "window_id": window.window_id,
        "start": window.start.isoformat() if window.start else None,
        "end": window.end.isoformat() if window.end else None,
        "n_rows": window.n_rows,
        "drift_less_noise": drift,
    }


def locate_shift(reference: Reference | None, windows: Sequence[WindowProfile]) -> dict[str, Any]:
    """The change point of the drift series, the first affected window, features and segments.

    Without a stored reference the earliest quarter of the windows stands in for it.
    """
    windows = list(windows)
    if not windows:
        return {"onset": None, "reason": "no stored windows"}
    baseline = baseline_of(reference, windows[: max(1, len(windows) // 4)])
    series = drift_series(baseline, windows)
    point = find_change_point(series)
    onset = point.onset if point is not None else None
    if onset is None:  # a shift present from the first stored window, or none at all
        positive = [i for i, d in enumerate(series) if d > 0]
        onset = positive[0] if positive else None
    out: dict[str, Any] = {
        "baseline": baseline.basis,
        "series": [_window_ref(w, d) for w, d in zip(windows, series, strict=True)],
        "change_point": asdict(point) if point is not None else None,
        "onset": onset,
    }
    if onset is None:
        out["reason"] = "no window drifted beyond sampling noise"
        return out
    affected = next((i for i in range(onset, len(windows)) if series[i] > 0), onset)
    out["first_affected_window"] = _window_ref(windows[affected], series[affected])
    impact = merge_windows(windows[onset:])
    out["isolation"] = isolate(reference, baseline, impact, windows[:onset])
    return out
