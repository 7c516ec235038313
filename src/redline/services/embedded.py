"""The embedded Guard: the SDK's Guard with its windows and signals kept in the store."""

from __future__ import annotations

import os
from typing import Any

from redline.guard.guard import Guard as _BaseGuard
from redline.guard.sinks import Sink
from redline.playbook import Playbook, load_playbook
from redline.services.response import ResponsePlan
from redline.services.routes import route_source
from redline.settings import get_settings
from redline.store import Store, upgrade

__all__ = ["Guard", "open_store"]


def open_store(url: str) -> Store:
    """A store at ``url`` with its schema migrated to the latest revision."""
    upgrade(url)
    return Store.from_url(url)


class Guard(_BaseGuard):
    """``Guard(model=..., predict=..., reference=..., store=None)``.

    ``store`` is a SQLAlchemy URL, a :class:`~redline.store.Store`, any Sink, ``None`` for the
    configured store (``REDLINE_STORE__URL``, by default ``sqlite:///redline.db``), or ``False``
    to keep windows in memory only.
    """

    def __init__(
        self,
        *,
        store: str | Store | Sink | bool | None = None,
        playbook: Playbook | str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        from redline.services.ingest import StoreSink

        sink: Sink | None
        opened: Store | None = None
        if store is False:
            sink = None
        elif isinstance(store, Store):
            opened = store
        elif isinstance(store, Sink):
            sink = store
        elif store is None or isinstance(store, str):
            opened = open_store(store or get_settings().store.url)
        else:
            raise TypeError(f"store must be a URL, a Store, a Sink, None or False; got {store!r}")
        plan = ResponsePlan()
        if playbook is not None:
            loaded = playbook if isinstance(playbook, Playbook) else load_playbook(playbook)
            plan = ResponsePlan.from_playbook(loaded)
        if opened is not None:
            sink = StoreSink(opened, plan=plan)
            kwargs.setdefault("route_source", route_source(opened, model=kwargs["model"]))
        super().__init__(sink=sink, **kwargs)
