"""The embedded Guard: the SDK's Guard with its windows, signals and model versions in the store."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

from redline.errors import StoreError
from redline.guard.guard import Guard as _BaseGuard
from redline.guard.guard import Predict
from redline.guard.sinks import Sink
from redline.playbook import Playbook, load_playbook
from redline.profiles.reference import Reference, load_reference
from redline.services.canary_routes import canaries_of
from redline.services.catalog import ReferenceNotFoundError, get_reference, save_reference
from redline.services.registry import RegistryError, current_version, load_version
from redline.services.response import ResponsePlan
from redline.services.routes import route_source
from redline.settings import get_settings
from redline.store import Store, upgrade

__all__ = ["Guard"]

log = logging.getLogger("redline.services")


def _open(
    store: str | Store | Sink | bool | None, plan: ResponsePlan, reference: Reference | None
) -> tuple[Sink | None, Store | None, bool]:
    """The sink, the store behind it, and whether this Guard opened (and so owns) that store."""
    from redline.services.ingest import StoreSink

    if store is False:
        return None, None, False
    if isinstance(store, Store):
        return StoreSink(store, plan=plan, reference=reference), store, False
    if isinstance(store, Sink):
        return store, None, False
    if store is None or isinstance(store, str):
        opened = Store.from_url(store or get_settings().store.url)  # a bad URL fails here
        try:
            upgrade(opened.engine)
        except StoreError as exc:  # serve now; the sink migrates once the store answers
            log.warning("store unreachable at start, serving without it for now: %s", exc)
            sink = StoreSink(opened, plan=plan, reference=reference, migrate=True)
            return sink, opened, True
        return StoreSink(opened, plan=plan, reference=reference), opened, True
    raise TypeError(f"store must be a URL, a Store, a Sink, None or False; got {store!r}")


def _reference_of(value: Any) -> Reference:
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


def _keep_reference(store: Store, model: str, reference: Reference) -> None:
    """Store the Guard's reference unless it is already the model's latest: triage, blame,
    backtests and the dashboard judge stored windows against it."""
    try:
        try:
            stored, _ = get_reference(store, model=model)
        except ReferenceNotFoundError:
            stored = None
        if stored != reference.content_hash:
            save_reference(store, model=model, body=reference.to_dict(), actor=f"guard:{model}")
    except StoreError as exc:  # the Guard serves without its store; windows wait in the sink
        log.warning("could not store the reference of %s: %s", model, exc)


def _apply_model_config(playbook: Playbook, kwargs: dict[str, Any]) -> None:
    """Defaults from the playbook's entry for this model: window, monitors, canaries."""
    config = playbook.models.get(kwargs.get("model", ""))
    if config is None:
        return
    kwargs.setdefault("window_s", float(config.window_s))
    kwargs.setdefault("monitors", config.monitors.enabled())
    kwargs.setdefault("canaries", list(canaries_of(config)))


def _registry_loader(store: Store, model: str, trust: bool) -> Callable[[str], Predict]:
    """Loads a registered version of ``model`` when a RouteState names it (sha256 checked)."""
    return lambda version: load_version(store, model=model, version=version, trust=trust)


class Guard(_BaseGuard):
    """``Guard(model=..., reference=..., predict=None, store=None, playbook=None)``.

    ``reference`` is a :class:`~redline.profiles.reference.Reference` or the path of one saved
    with ``Reference.save`` or ``redline reference fit`` (a missing or corrupted file raises
    :class:`~redline.errors.ReferenceFileError`).

    ``store`` is a SQLAlchemy URL, a :class:`~redline.store.Store`, any Sink, ``None`` for the
    configured store (``REDLINE_STORE__URL``, by default ``sqlite:///redline.db``), or ``False``
    to keep windows in memory only. With a store, versions a RouteState names are loaded from
    the model registry (sha256 checked); without ``predict``, the Guard serves the deployed
    version (or ``model_version``). ``trust_artifacts=True`` allows pickle/joblib artifacts,
    which run code when loaded: use it only for artifacts you built.
    """

    def __init__(
        self,
        *,
        store: str | Store | Sink | bool | None = None,
        playbook: Playbook | str | os.PathLike[str] | None = None,
        predict: Predict | None = None,
        trust_artifacts: bool = False,
        **kwargs: Any,
    ) -> None:
        plan = ResponsePlan()
        if playbook is not None:
            loaded = playbook if isinstance(playbook, Playbook) else load_playbook(playbook)
            plan = ResponsePlan.from_playbook(loaded)
            _apply_model_config(loaded, kwargs)
        if "reference" not in kwargs:
            raise TypeError("Guard() missing required keyword argument: 'reference'")
        reference = kwargs["reference"] = _reference_of(kwargs["reference"])
        if getattr(reference, "performance", None) is not None:
            kwargs.setdefault("record_served", True)  # labels will be joined to what was served
        sink, opened, owned = _open(store, plan, reference)
        try:
            predict = self._registry_setup(opened, predict, trust_artifacts, kwargs)
            if opened is not None:
                _keep_reference(opened, kwargs["model"], reference)
            super().__init__(sink=sink, predict=predict, **kwargs)
        except BaseException:
            if owned and opened is not None:  # once running, closing the sink disposes of it
                opened.dispose()
            raise

    @staticmethod
    def _registry_setup(
        opened: Store | None, predict: Predict | None, trust: bool, kwargs: dict[str, Any]
    ) -> Predict:
        if "model" not in kwargs:
            raise TypeError("Guard() missing required keyword argument: 'model'")
        model = kwargs["model"]
        if opened is not None:
            kwargs.setdefault("route_source", route_source(opened, model=model))
            kwargs.setdefault("loader", _registry_loader(opened, model, trust))
        if predict is not None:
            return predict
        if opened is None:
            raise TypeError("without predict=, the Guard needs a store to load the model from")
        version = kwargs.get("model_version") or current_version(opened, model)
        if version is None:
            raise RegistryError(
                f"model {model!r} has no deployed version; deploy one with "
                f"'redline models deploy {model} VERSION --actor NAME --reason TEXT', "
                "or pass predict="
            )
        kwargs["model_version"] = version
        return load_version(opened, model=model, version=version, trust=trust)
