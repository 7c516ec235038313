"""A process's fingerprint is captured once, and again only after a reset."""

from __future__ import annotations

from typing import Any

from redline.guard.environment import FingerprintCache


def test_the_fingerprint_is_captured_once_until_reset() -> None:
    captured: list[int] = []

    def capture() -> dict[str, Any]:
        captured.append(len(captured))
        return {"capture": len(captured)}

    cache = FingerprintCache(capture)
    assert cache.known() is None
    assert cache.get() == cache.get() == {"capture": 1}
    cache.reset()
    assert cache.known() is None
    cache.start()
    assert cache.get() == {"capture": 2}
    assert captured == [0, 1]
