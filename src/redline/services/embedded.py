"""``redline.Guard``: the request-path engine with its control plane (a store, a service, or none).

Importing this module stays light (no SQLAlchemy): the store side is imported when a Guard
with a store is made.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from redline.guard.canaries import Canary
from redline.guard.control import ControlPlane, RemoteControlPlane
from redline.guard.derived import DerivedColumns
from redline.guard.guard import GuardEngine as _Engine
from redline.guard.guard import Predict
from redline.guard.serve import REFUSE
from redline.guard.sinks import Sink
from redline.profiles.reference import Reference, load_reference

if TYPE_CHECKING:
    from redline.playbook import Playbook
    from redline.services.control_local import LocalControlPlane
    from redline.store import Store

__all__ = ["Guard"]

log = logging.getLogger("redline.services")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _reference_of(value: object) -> Reference:
    """A saved reference given as a path is loaded (format, version and sha256 checked)."""
    if isinstance(value, str | os.PathLike):
        return load_reference(value)
    if not isinstance(value, Reference):
        raise TypeError(
            f"reference must be a Reference or the path of a saved reference (.json); got "
            f"{type(value).__name__}: fit one with redline.fit_reference(data) or "
            "'redline reference fit'"
        )
    return value


class Guard(_Engine):
    """Serve a model through its route, watch its windows, respond to incidents.

    Where closed windows go and where the route comes from, by the first that is given:

    - ``control``: any :class:`~redline.guard.control.ControlPlane`;
    - ``server`` and ``token``: the redline service (``redline serve``, a responder token);
      windows wait in a spool under ``spool_dir`` until it acknowledges them;
    - ``sink``: any Sink (no route, no response);
    - ``store=False``: memory only;
    - ``store``: a SQLAlchemy URL or a :class:`~redline.store.Store`, by default
      ``REDLINE_STORE__URL``. A local control plane writes each closed window (one
      transaction; the spool while the store is away) and runs the control loop of
      ``redline worker`` on a thread of its own: triage, containment, restores, SLAs, the
      notification outbox.

    ``reference`` is a :class:`~redline.profiles.reference.Reference` or the path of a saved
    one. ``playbook`` (a Playbook or a YAML path) sets the response, and defaults for
    ``window_s``, ``monitors`` and ``canaries`` from its entry for ``model``; otherwise
    ``window_s`` and ``buffer_rows`` come from ``REDLINE_GUARD__WINDOW_S`` and
    ``REDLINE_GUARD__BUFFER_ROWS``. The Guard warns once when its route has not been read for
    ``route_stale_s`` or its window thread has spent ``window_blocked_s`` in one window
    (``REDLINE_GUARD__ROUTE_STALE_S``, ``REDLINE_GUARD__WINDOW_BLOCKED_S``, 30 s each).
    Without ``predict`` the Guard serves the deployed version from the store's registry (or
    ``model_version``); ``trust_artifacts=True`` allows pickle/joblib artifacts, which run
    code when loaded. ``flush()`` returns once the windows it closed are stored and the
    control loop has responded to them.
    """

    def __init__(
        self,
        *,
        model: str,
        reference: Reference | str | os.PathLike[str],
        predict: Predict | None = None,
        fallback: Predict | None = None,
        store: str | Store | Literal[False] | None = None,
        server: str | None = None,
        token: str | None = None,
        control: ControlPlane | None = None,
        sink: Sink | None = None,
        playbook: Playbook | str | os.PathLike[str] | None = None,
        trust_artifacts: bool = False,
        spool_dir: str | os.PathLike[str] | None = None,
        window_s: float | None = None,
        buffer_rows: int | None = None,
        max_pending_rows: int = 1_000_000,
        model_version: str | None = None,
        predict_batch: Callable[[Any], Any] | None = None,
        confidence: Callable[[Any], float] | None = None,
        on_error: Literal["fallback", "raise"] = "fallback",
        monitors: Mapping[str, Mapping[str, Any] | None] | None = None,
        versions: Mapping[str, Predict] | None = None,
        route_poll_s: float = 0.2,
        route_stale_s: float | None = None,
        window_blocked_s: float | None = None,
        safe_response: Any = REFUSE,
        record_served: bool | None = None,
        canaries: Sequence[Canary] | None = None,
        leak_canaries: Sequence[str] = (),
        derived: DerivedColumns | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        ref = _reference_of(reference)
        self._local = False  # set before any window can close (route_written reads it)
        from redline.settings import get_settings  # pydantic-settings: loaded when a Guard is made

        settings = get_settings()
        route_stale_s = _threshold_s("route_stale_s", route_stale_s, settings.guard.route_stale_s)
        window_blocked_s = _threshold_s(
            "window_blocked_s", window_blocked_s, settings.guard.window_blocked_s
        )
        loaded, plan = _playbook(playbook)
        config = loaded.models.get(model) if loaded is not None else None
        if config is not None:
            from redline.services.canary_routes import canaries_of

            window_s = window_s if window_s is not None else float(config.window_s)
            monitors = monitors if monitors is not None else config.monitors.enabled()
            canaries = canaries if canaries is not None else canaries_of(config)
        _check_one_plane(control=control, server=server, token=token, sink=sink, store=store)
        configured = spool_dir or settings.guard.spool_dir
        spool = Path(configured) if configured else None
        local: LocalControlPlane | None = None
        if control is None and server is not None:
            control = _remote(server, str(token), model, spool)
        elif control is None and sink is None and store is not False:
            from redline.services.control_local import open_local_plane

            control = local = open_local_plane(
                store,
                model=model,
                reference=ref,
                plan=plan,
                spool_dir=spool,
                trust_artifacts=trust_artifacts,
                interval_s=settings.guard.control_interval_s,
                clock=clock,
            )
        self._local = local is not None
        try:
            if predict is None:
                predict, model_version = _deployed(local, model, model_version, trust_artifacts)
            super().__init__(
                model=model,
                predict=predict,
                reference=ref,
                fallback=fallback,
                sink=control if control is not None else sink,
                window_s=window_s if window_s is not None else settings.guard.window_s,
                buffer_rows=buffer_rows if buffer_rows is not None else settings.guard.buffer_rows,
                max_pending_rows=max_pending_rows,
                model_version=model_version,
                predict_batch=predict_batch,
                confidence=confidence,
                on_error=on_error,
                monitors=monitors,
                versions=versions,
                loader=control.load if control is not None else None,
                route_source=control.route if control is not None else None,
                route_poll_s=route_poll_s,
                # A remote route is as fresh as the service's last long-poll answer.
                route_age_s=control.route_age_s
                if isinstance(control, RemoteControlPlane)
                else None,
                route_stale_s=route_stale_s,
                window_blocked_s=window_blocked_s,
                safe_response=safe_response,
                record_served=record_served if record_served is not None else _labelled(ref),
                canaries=canaries or (),
                leak_canaries=leak_canaries,
                derived=derived,
                clock=clock,
            )
        except BaseException:
            if control is not None and (local is not None or server is not None):
                control.close(1.0)
            raise
        self.control = control
        if local is not None:
            local.on_change = self._take_route
            local.start()

    def route_written(self) -> None:
        """A closed window was handed over: with a local plane its response, not the write,
        may change the route, and the plane says so (``_take_route``)."""
        if not self._local:
            super().route_written()

    def _take_route(self) -> None:
        """The local loop committed a response: serve its route now (on the loop's thread,
        before the loop goes on to copy evidence bytes)."""
        if self._watcher is not None and not self._watcher.stopped:
            self._watcher.check_once()

    def flush(self, timeout_s: float = 30.0) -> None:
        """Close the open window, wait until it is stored and responded to (at most
        ``timeout_s``), then bring the route up to date."""
        started = time.monotonic()
        super().flush(timeout_s)
        if self.control is not None:
            self.control.settle(max(timeout_s - (time.monotonic() - started), 0.0))
        if self._watcher is not None:
            self._watcher.check_once()


def _threshold_s(name: str, given: float | None, default: float) -> float:
    """A watchdog threshold, given or from the settings: a number of seconds above 0."""
    value = given if given is not None else default
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{name} must be a number of seconds above 0, not {value!r}")
    return float(value)


def _check_one_plane(
    *, control: object, server: str | None, token: str | None, sink: object, store: object
) -> None:
    """Where windows go is said once: a control plane, a server, a sink or a store."""
    given = [n for n, v in (("control", control), ("server", server), ("sink", sink)) if v]
    if len(given) > 1 or (given and store is not None):
        chosen = given + (["store"] if store is not None else [])
        raise TypeError(f"give one of control, server, sink and store, not {chosen}")
    if server is not None and not token:
        raise TypeError("server= needs token= (a responder token)")


def _remote(server: str, token: str, model: str, spool: Path | None) -> RemoteControlPlane:
    """The service at ``server`` as the control plane, spooling under ``spool``."""
    directory = spool or Path(tempfile.gettempdir()) / "redline-spool"
    path = directory / f"{quote(model, safe='')}.http.spool"
    return RemoteControlPlane(server, token=token, model=model, spool_path=path)


def _labelled(reference: Reference) -> bool:
    """Labels will be joined to what was served when the reference knows the performance."""
    return getattr(reference, "performance", None) is not None


def _playbook(playbook: Playbook | str | os.PathLike[str] | None) -> tuple[Playbook | None, Any]:
    """The playbook and its response plan (None: the built-in policy)."""
    if playbook is None:
        return None, None
    from redline.playbook import Playbook, load_playbook
    from redline.services.response import ResponsePlan

    loaded = playbook if isinstance(playbook, Playbook) else load_playbook(playbook)
    return loaded, ResponsePlan.from_playbook(loaded)


def _deployed(
    local: LocalControlPlane | None, model: str, version: str | None, trust: bool
) -> tuple[Predict, str]:
    """The predict function of ``version``, or of the version deployed in the store."""
    if local is None:
        raise TypeError("without predict=, the Guard needs a store to load the model from")
    from redline.services.registry import RegistryError, current_version, load_version

    version = version or current_version(local.store, model)
    if version is None:
        raise RegistryError(
            f"model {model!r} has no deployed version; deploy one with "
            f"'redline models deploy {model} VERSION --actor NAME --reason TEXT', "
            "or pass predict="
        )
    return load_version(local.store, model=model, version=version, trust=trust), version
