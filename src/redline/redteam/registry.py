"""Recording a red-team run against a registered model version (in the audit log)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from redline.errors import RedlineError
from redline.redteam.summary import RunSummary

if TYPE_CHECKING:
    from redline.services.store_access import Store

__all__ = ["REDTEAM_ACTION", "record_run", "require_version"]

#: The audit action of a stored red-team run; its details hold the summary.
REDTEAM_ACTION = "redteam_run"


def require_version(store: Store, *, model: str, version: str) -> None:
    """Fail with the registered versions named unless ``model:version`` is registered."""
    from redline.services.registry import list_versions

    known = [v.version for v in list_versions(store, model)]
    if version not in known:
        raise RedlineError(
            f"model {model!r} has no registered version {version!r} "
            f"(registered: {', '.join(known) or 'none'}); register it with 'redline models register'"
        )


def record_run(
    store: Store,
    *,
    model: str,
    version: str,
    summary: RunSummary,
    run_ids: list[str],
    target: str,
    actor: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Append the run's summary to the audit log, against ``model:version`` (which must exist)."""
    from redline.services.chains import record_audit

    require_version(store, model=model, version=version)
    details = {"model": model, "version": version, "runs": run_ids, "target": target}
    details |= summary.to_dict()
    with store.session() as session:
        record_audit(
            session,
            at=now or datetime.now(UTC),
            actor=actor,
            action=REDTEAM_ACTION,
            target=f"model:{model}",
            details=details,
        )
    return details
