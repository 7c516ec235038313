"""Planted canaries that came out of the model, named by where they were planted.

Tokens made by ``redline canary new`` (or ``redline.scanners.canary.new_canary``) are matched in what
the model said, also when an answer spaces or splits them; the evidence names the place
(``system prompt``, a document id) and a fingerprint, never the token itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from redline.domain import Signal
from redline.guard.leaks import canary_leak_signal, canary_name
from redline.profiles.window import WindowProfile
from redline.scanners.canary import UNKNOWN_PLACE, find_canaries

__all__ = ["PlantedCanaries", "canary_name", "planted_map"]


def planted_map(canaries: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
    """Token → where planted; a bare list of tokens is planted in an unnamed place."""
    planted = dict(canaries) if isinstance(canaries, Mapping) else dict.fromkeys(canaries, "")
    if any(not token for token in planted):
        raise ValueError("leak canaries must be non-empty strings")
    return {token: where or "leak_canaries" for token, where in planted.items()}


class PlantedCanaries:
    """Critical ``canary_leak`` signals, one per planted canary seen since the last window."""

    def __init__(self, planted: Mapping[str, str]) -> None:
        self.planted = dict(planted)
        self._hits: dict[str, list[str]] = {}
        # the redline format is found however it is spaced; other planted strings as written
        self._plain = [t for t in self.planted if not find_canaries(t, {})]

    def __bool__(self) -> bool:
        return bool(self.planted)

    def plant(self, planted: Mapping[str, str]) -> None:
        """Watch for more canaries."""
        self.planted.update(planted)
        self._plain = [t for t in self.planted if not find_canaries(t, {})]

    def add(self, call: Mapping[str, Any], metrics: Mapping[str, Any]) -> None:
        """Look for planted canaries in what the model said (before any scanner redacted it)."""
        text = call.get("model_output")
        if not self.planted or not isinstance(text, str):
            return
        found = {token for token, place, _, _ in find_canaries(text, self.planted)}
        found |= {token for token in self._plain if token in text}
        for token in found & self.planted.keys():
            self._hits.setdefault(token, []).append(str(call.get("request_id")))

    def signals(self, model: str, window: WindowProfile) -> list[Signal]:
        """One critical signal per leaked canary, naming where it was planted."""
        hits, self._hits = self._hits, {}
        out = []
        for token, ids in sorted(hits.items(), key=lambda item: canary_name(item[0])):
            name = canary_name(token)
            where = self.planted.get(token, UNKNOWN_PLACE)
            out.append(canary_leak_signal(model, window, name, ids, where))
        return out
