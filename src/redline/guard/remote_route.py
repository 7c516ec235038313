"""A Guard's RouteState from the redline service, learnt through its route long-poll."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

from redline.domain import RouteState
from redline.errors import DataError
from redline.guard.outage import Outage

if TYPE_CHECKING:
    import httpx

__all__ = ["RemoteRouteSource"]

log = logging.getLogger("redline.guard")


class RemoteRouteSource:
    """``Guard(route_source=RemoteRouteSource(url, token=..., model=...))``: the service's route.

    A thread of its own long-polls ``GET {base_url}/api/v1/models/{model}/route`` with
    ``after_revision`` (the revision it holds) and ``wait_s``; the service answers as soon as a
    newer revision is stored. Calling the source returns the newest RouteState received (None
    before the first answer) without any I/O, so the Guard's route watcher never waits on the
    network. While the service cannot be reached the last state stays in force; failures are
    logged once per outage and retried with backoff from ``retry_min_s`` to ``retry_max_s``.
    Close it after the Guard.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        model: str,
        wait_s: float = 20.0,
        timeout_s: float = 10.0,
        retry_min_s: float = 0.2,
        retry_max_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not model:
            raise DataError("model must be a non-empty name")
        if not 0 <= wait_s <= 60:
            raise DataError(f"wait_s must be between 0 and 60 seconds, got {wait_s}")
        self._outage = Outage(min_s=retry_min_s, max_s=retry_max_s)
        self.model = model
        self.wait_s = wait_s
        self.received_at: float | None = None
        #: When the service last answered a poll (monotonic; "no newer revision" counts).
        self.answered_at = time.monotonic()
        self._path = f"/api/v1/models/{quote(model, safe='')}/route"
        import httpx  # when a source is made, not when the Guard is imported

        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout_s, read=wait_s + timeout_s),
            transport=transport,
        )
        self._state: RouteState | None = None
        self._stop = threading.Event()
        self._polling = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"redline-remote-route-{model}", daemon=True
        )
        self._thread.start()

    def __call__(self) -> RouteState | None:
        """The newest RouteState received from the service, or None before the first one."""
        return self._state

    @property
    def failures(self) -> int:
        """Polls that failed (unreachable service, refused token, bad answer)."""
        return self._outage.failures

    @property
    def age_s(self) -> float:
        """Seconds since the service last answered (since the start, before its first answer)."""
        return max(time.monotonic() - self.answered_at, 0.0)

    @property
    def revision(self) -> int:
        """The revision of the newest state received (-1 before the first)."""
        return -1 if self._state is None else self._state.revision

    def close(self, timeout_s: float = 1.0) -> None:
        """Stop polling: at once when a long-poll is in flight (the thread, a daemon, ends
        with it and closes the client), else within ``timeout_s``."""
        self._stop.set()
        if self._polling.is_set():
            return
        self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._client.close()

    def __enter__(self) -> RemoteRouteSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll()
            except Exception as exc:
                if not self._stop.is_set():
                    self._stop.wait(self._failed(exc))
        self._client.close()

    def _poll(self) -> None:
        """One request: the current state first, then a long-poll for a newer revision."""
        params: dict[str, str | float] = {}
        if self._state is not None:
            params = {"after_revision": self._state.revision, "wait_s": self.wait_s}
        self._polling.set()
        try:
            response = self._client.get(self._path, params=params)
        finally:
            self._polling.clear()
        state = None
        if response.status_code != 304:  # 304: no newer revision within wait_s
            response.raise_for_status()
            state = RouteState.from_dict(response.json()["state"])
        self.answered_at = time.monotonic()
        self._outage.recovered("redline reads the route of %s again after %.1f s", self.model)
        if state is not None and (self._state is None or state.revision > self._state.revision):
            self._state = state
            self.received_at = time.monotonic()

    def _failed(self, exc: Exception) -> float:
        import httpx

        why = repr(exc)
        if isinstance(exc, httpx.HTTPStatusError):
            why = f"HTTP {exc.response.status_code}: {exc.response.text[:300]}"
        return self._outage.failed(
            "redline cannot read the route of %s (%s); serving revision %d until it can",
            self.model,
            why,
            self.revision,
        )
