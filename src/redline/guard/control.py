"""The ControlPlane port: all a Guard asks of whatever responds to its windows.

A Guard hands it closed windows (off the request path, on its window thread), reads the current
RouteState from it (on its route thread) and asks it for model versions a route names. The
local control plane (``redline.services.control_local``) writes to a store and runs the control
loop on a thread of its own; :class:`RemoteControlPlane` talks to ``redline serve``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from redline.domain import RouteState
from redline.errors import DataError, RedlineError
from redline.guard.http_sink import HttpSink
from redline.guard.remote_route import RemoteRouteSource
from redline.guard.sinks import ClosedWindow

if TYPE_CHECKING:
    import httpx  # only an annotation here: the sink imports it when made

__all__ = ["ControlPlane", "RemoteControlPlane", "VersionUnavailableError", "open_in_free_slot"]

Predict = Callable[[Any], Any]
T = TypeVar("T")

#: Processes (or Guards) serving one model each take a spool file of their own.
MAX_SLOTS = 64


def open_in_free_slot(path: Path, opener: Callable[[Path], T]) -> T:
    """``opener(path)``, or ``opener`` on ``<stem>.<n><suffix>`` while a spool is in use.

    A spool file is locked by the one sink that holds it; a process started later takes the
    first free slot and sends whatever an earlier process left there.
    """
    for slot in range(MAX_SLOTS):
        candidate = path if slot == 0 else path.with_name(f"{path.stem}.{slot}{path.suffix}")
        try:
            return opener(candidate)
        except DataError as exc:
            if "in use" not in str(exc):
                raise
    raise DataError(f"all {MAX_SLOTS} spool slots beside {path} are in use")


class VersionUnavailableError(RedlineError):
    """A route names a model version this control plane cannot load."""


@runtime_checkable
class ControlPlane(Protocol):
    """Where a Guard's windows go and where its route and model versions come from."""

    def write(self, closed: ClosedWindow) -> None:
        """Keep one closed window (durably when the plane is down); must not raise."""

    def route(self) -> RouteState | None:
        """The newest RouteState of the Guard's model, or None when none is known yet."""

    def load(self, version: str) -> Predict:
        """The predict function of a registered version of the model (sha256 checked)."""

    def settle(self, timeout_s: float) -> bool:
        """Wait until what was written has been responded to; False when ``timeout_s`` ran out."""

    def close(self, timeout_s: float = 10.0) -> None:
        """Hand over what waits within ``timeout_s`` (the rest stays spooled); stop threads."""


class RemoteControlPlane:
    """``redline serve`` as a Guard's control plane: an :class:`HttpSink` and a
    :class:`RemoteRouteSource` with one base URL and responder token.

    Windows are spooled to ``spool_path`` and sent by the sink's thread; the route is the
    newest one the long-poll received. Versions are not loaded remotely: a Guard in service
    mode is given the versions it may serve (``versions=``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        model: str,
        spool_path: str | os.PathLike[str],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.sink = open_in_free_slot(
            Path(spool_path),
            lambda path: HttpSink(base_url, token=token, spool_path=path, transport=transport),
        )
        try:
            self.source = RemoteRouteSource(base_url, token=token, model=model, transport=transport)
        except BaseException:
            self.sink.close()
            raise
        self.model = model

    def write(self, closed: ClosedWindow) -> None:
        """Spool the window for the sink's thread to send."""
        self.sink.write(closed)

    def route(self) -> RouteState | None:
        """The newest route the long-poll received (no I/O)."""
        return self.source()

    def route_age_s(self) -> float:
        """Seconds since the service last answered the long-poll (its route's freshness)."""
        return self.source.age_s

    def load(self, version: str) -> Predict:
        """Always refuses: a remote Guard serves only the versions it was given."""
        raise VersionUnavailableError(
            f"version {version!r} of {self.model!r} is not among the Guard's versions=; a Guard "
            "in service mode cannot load versions from the registry"
        )

    def settle(self, timeout_s: float) -> bool:
        """Wait until the service acknowledged every spooled window (its response is its own)."""
        deadline = time.monotonic() + timeout_s
        while self.sink.pending and not self.sink.halted:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return not self.sink.pending

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop the long-poll, send what the sink can; return within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        self.source.close(min(timeout_s, 1.0))
        self.sink.close(max(0.0, deadline - time.monotonic()))
