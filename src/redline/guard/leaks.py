"""Planted canary strings: secrets seeded into training data or prompts that must never come
out of the model. Served outputs are scanned off the request path, in the window worker."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from redline.domain import Level, Signal
from redline.monitors.base import window_signal
from redline.profiles.window import WindowProfile

__all__ = ["MAX_REQUEST_IDS", "LeakScanner", "canary_leak_signal", "canary_name"]

#: Request ids a leak signal lists (the count says how many there were).
MAX_REQUEST_IDS = 50


def canary_name(canary: str) -> str:
    """A stable name for a canary that does not reveal it."""
    return "canary-" + hashlib.sha256(canary.encode()).hexdigest()[:12]


class LeakScanner:
    """Counts served outputs that contain a planted canary string, per canary."""

    def __init__(self, canaries: Sequence[str]) -> None:
        if any(not c for c in canaries):
            raise ValueError("leak canaries must be non-empty strings")
        self._canaries = [(c, canary_name(c)) for c in canaries]
        self._hits: dict[str, list[str]] = {}

    def __bool__(self) -> bool:
        return bool(self._canaries)

    def scan(self, served: Iterable[tuple[str, Any, str]]) -> None:
        """Look for canaries in the text of served outputs (strings, or str() of mappings)."""
        for request_id, value, _route in served:
            if value is None:
                continue
            text = value if isinstance(value, str) else str(value)
            for canary, name in self._canaries:
                if canary in text:
                    self._hits.setdefault(name, []).append(request_id)

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """One critical ``canary_leak`` signal per canary seen since the last call."""
        hits, self._hits = self._hits, {}
        return [canary_leak_signal(model, window, name, ids) for name, ids in sorted(hits.items())]


def canary_leak_signal(
    model: str,
    window: WindowProfile,
    name: str,
    request_ids: Sequence[str],
    where: str | None = None,
) -> Signal:
    """The critical ``canary_leak`` signal for one canary (by name) seen in ``request_ids``."""
    evidence: dict[str, Any] = {"canary": name}
    if where is not None:
        evidence["where"] = where
    evidence |= {"request_ids": list(request_ids[:MAX_REQUEST_IDS]), "count": len(request_ids)}
    return window_signal(
        model,
        window,
        monitor="leak_canary",
        kind="canary_leak",
        column=name,
        statistic="outputs_with_canary",
        value=len(request_ids),
        threshold=0.0,
        level=Level.CRITICAL,
        evidence=evidence,
    )
