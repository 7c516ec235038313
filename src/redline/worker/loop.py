"""``redline worker``'s process: the services' control loop, stopped by SIGTERM or SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType

from redline.services.control_loop import MAX_BATCHES_PER_TICK, ControlLoop, TickSummary

__all__ = ["MAX_BATCHES_PER_TICK", "TickSummary", "Worker", "stop_on_signals"]

log = logging.getLogger("redline.worker")


class Worker(ControlLoop):
    """The control loop as a process of its own: ``tick`` once, or ``run`` until stopped.

    The jobs live in :mod:`redline.services.control_loop`, which an embedded Guard runs on a
    thread of its own; a worker adds the process around them (signals, the CLI).
    """

    label = "worker"
    #: The API stores windows only (``api.evaluate = auto``) while a worker's heartbeat holds.
    announces_alive = True


def stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM or SIGINT (main thread only); returns what restores the handlers."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received: stopping after the current tick", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
