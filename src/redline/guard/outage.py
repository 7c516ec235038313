"""Backoff and once-per-outage logging for the Guard's threads that talk to the redline service."""

from __future__ import annotations

import logging
import random
import time

from redline.errors import DataError

__all__ = ["Outage"]

log = logging.getLogger("redline.guard")


class Outage:
    """Tracks failures in a row: the wait before the next try, and one log line per outage.

    The wait doubles from ``min_s`` up to ``max_s`` with jitter (half to all of it), so many
    Guards that lost the same service do not come back in step.
    """

    def __init__(self, *, min_s: float, max_s: float) -> None:
        if not 0 < min_s <= max_s:
            raise DataError(f"retry_min_s must be positive and at most retry_max_s ({max_s})")
        self.min_s, self.max_s = min_s, max_s
        self.failures = 0
        self._delay_s = 0.0
        self._since: float | None = None

    @property
    def ongoing(self) -> bool:
        """True between a failure and the next success."""
        return self._since is not None

    def failed(self, message: str, *args: object) -> float:
        """Count a failure (logging ``message`` at its first); the seconds to wait before retrying."""
        self.failures += 1
        if self._since is None:
            self._since = time.monotonic()
            log.warning(message, *args)
        self._delay_s = min(self.max_s, max(self.min_s, self._delay_s * 2))
        return self._delay_s * random.uniform(0.5, 1.0)

    def recovered(self, message: str, *args: object) -> None:
        """Note a success; ends an outage, logging ``message`` with its length in seconds."""
        self._delay_s = 0.0
        if self._since is not None:
            down_s = time.monotonic() - self._since
            self._since = None
            log.info(message, *args, down_s)
