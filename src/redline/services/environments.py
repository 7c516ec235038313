"""The environments models' serving processes report: the latest per model and Guard instance."""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redline.domain.timeline import canonical_json
from redline.errors import DataError
from redline.guard.environment import LOCAL_FINGERPRINT, environment_report, fingerprint_sha256
from redline.services.catalog import UnknownModelError
from redline.services.chains import record_audit
from redline.store import Store, list_model_environments, list_model_names, save_model_environment

__all__ = [
    "MAX_FINGERPRINT_BYTES",
    "EnvironmentView",
    "list_environments",
    "local_instance",
    "record_environment",
    "record_local_environment",
]

#: A fingerprint's canonical JSON may take this many bytes (thousands of distributions fit).
MAX_FINGERPRINT_BYTES = 512 * 1024


@dataclass(frozen=True)
class EnvironmentView:
    """One Guard instance's latest fingerprint of a model."""

    model: str
    instance: str
    sha256: str
    received_at: datetime
    fingerprint: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "model": self.model,
            "instance": self.instance,
            "sha256": self.sha256,
            "received_at": self.received_at.isoformat(),
            "fingerprint": self.fingerprint,
        }


def record_environment(
    store: Store,
    *,
    model: str,
    instance: str,
    fingerprint: Mapping[str, Any],
    actor: str,
    now: datetime | None = None,
) -> tuple[EnvironmentView, bool]:
    """Keep a Guard's fingerprint as the latest of its instance; True if it changed (audited)."""
    at = now or datetime.now(UTC)
    body = dict(fingerprint)
    size = len(canonical_json(body).encode("utf-8"))
    if size > MAX_FINGERPRINT_BYTES:
        raise DataError(
            f"the fingerprint takes {size} bytes as JSON; at most {MAX_FINGERPRINT_BYTES} are kept"
        )
    digest = fingerprint_sha256(body)
    with store.session() as session:
        if model not in list_model_names(session):
            raise UnknownModelError(f"no model {model!r}; GET /api/v1/models lists them")
        before = {r.instance: r.sha256 for r in list_model_environments(session, model=model)}
        row = save_model_environment(
            session,
            model=model,
            instance=instance,
            sha256=digest,
            fingerprint=body,
            received_at=at,
        )
        changed = before.get(instance) != digest
        if changed:
            record_audit(
                session,
                at=at,
                actor=actor,
                action="environment_reported",
                target=f"model:{model}",
                details={"instance": instance, "sha256": digest, "previous": before.get(instance)},
            )
        view = EnvironmentView(model, row.instance, row.sha256, row.received_at, dict(body))
    return view, changed


def local_instance() -> str:
    """This process as a Guard instance: ``host:pid``."""
    return f"{platform.node()}:{os.getpid()}"


def record_local_environment(
    store: Store, *, model: str, actor: str = "guard", now: datetime | None = None
) -> EnvironmentView | None:
    """An embedded Guard's report (:func:`~redline.guard.environment.environment_report`, as a
    remote Guard sends it) for ``model``; None if the store does not know the model yet. Call it
    off the request path: the first capture takes time."""
    document = environment_report(LOCAL_FINGERPRINT.get())
    try:
        view, _ = record_environment(
            store,
            model=model,
            instance=local_instance(),
            fingerprint=document,
            actor=actor,
            now=now,
        )
    except UnknownModelError:
        return None
    return view


def list_environments(store: Store, *, model: str) -> list[EnvironmentView]:
    """Every Guard instance's latest fingerprint of ``model``, most recently received first."""
    with store.reading() as session:
        return [
            EnvironmentView(r.model, r.instance, r.sha256, r.received_at, dict(r.fingerprint))
            for r in list_model_environments(session, model=model)
        ]
