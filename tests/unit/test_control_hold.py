"""When the local control loop holds ``flush()`` for another try: every (pending, written) step."""

from __future__ import annotations

from typing import Any, cast

from redline.services.control_local import MAX_RETRIES, _LocalLoop


def _loop() -> _LocalLoop:
    return _LocalLoop(cast(Any, None), cast(Any, None))


def test_nothing_pending_never_holds() -> None:
    loop = _loop()
    for written in (0, 1, 1, 2):
        loop._hold_flushes(written, pending=False)
        assert not loop.waiting


def test_a_window_left_unevaluated_holds_up_to_max_retries_then_lets_go() -> None:
    loop = _loop()
    held = []
    for _ in range(MAX_RETRIES + 5):
        loop._hold_flushes(1, pending=True)
        held.append(loop.waiting)
    assert held == [True] * MAX_RETRIES + [False] * 5  # then ticks at the normal pace
    loop._hold_flushes(2, pending=True)  # a new window: tried again at once
    assert loop.waiting


def test_a_window_responded_to_resets_the_count() -> None:
    loop = _loop()
    for _ in range(MAX_RETRIES):
        loop._hold_flushes(1, pending=True)
    loop._hold_flushes(1, pending=False)
    assert (loop.waiting, loop.retries) == (False, 0)
    loop._hold_flushes(1, pending=True)
    assert loop.waiting
