"""Reading snapshots: the view people see, lookups by id or prefix, listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.errors import RedlineError
from redline.forensics.manifest import complete_manifest
from redline.store import (
    Session,
    SnapshotRow,
    Store,
    get_incident,
    get_snapshot,
    get_snapshot_completion,
    list_snapshots,
)

__all__ = [
    "SnapshotNotFoundError",
    "SnapshotView",
    "get_snapshot_view",
    "list_snapshot_views",
    "require_snapshot_in",
    "snapshot_contents_in",
]


class SnapshotNotFoundError(RedlineError):
    """No snapshot has this id (or id prefix), or the incident named has none."""


@dataclass(frozen=True)
class SnapshotView:
    """A stored snapshot as people read it: who, when, why, how much, and its manifest.

    ``declared`` is the manifest recorded before the change (its sha256 is the id);
    ``completion`` what was copied after it (None while pending); ``manifest`` the two merged,
    which is what readers show.
    """

    id: str
    model: str
    incident: str | None
    reason: str
    taken_at: datetime
    files: int
    size_bytes: int
    manifest: dict[str, Any]
    declared: dict[str, Any]
    completion: dict[str, Any] | None
    completed_at: datetime | None

    @property
    def complete(self) -> bool:
        """True once the bytes the declared manifest deferred were copied."""
        return self.completion is not None

    @classmethod
    def of(cls, row: SnapshotRow, session: Session) -> SnapshotView:
        """The view of a stored row, with its completion if the bytes were copied."""
        done = get_snapshot_completion(session, snapshot_id=row.id)
        completion = None if done is None else dict(done.record)
        merged = complete_manifest(row.manifest, completion)
        files = merged.get("files", [])
        return cls(
            id=row.id,
            model=row.model,
            incident=row.manifest.get("incident"),
            reason=row.reason,
            taken_at=row.taken_at,
            files=len(files),
            size_bytes=sum(int(f.get("size", 0)) for f in files),
            manifest=merged,
            declared=dict(row.manifest),
            completion=completion,
            completed_at=None if done is None else done.completed_at,
        )

    def to_dict(self, *, manifest: bool = True) -> dict[str, Any]:
        """JSON-ready form (the manifests and completion left out for listings)."""
        out: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "incident": self.incident,
            "reason": self.reason,
            "taken_at": self.taken_at.isoformat(),
            "files": self.files,
            "size_bytes": self.size_bytes,
            "complete": self.complete,
        }
        if manifest:
            out["manifest"] = self.manifest
            out["declared"] = self.declared
            out["completion"] = self.completion
        return out


def require_snapshot_in(session: Session, *, snapshot_id: str) -> SnapshotRow:
    """The snapshot with this id or unique prefix; SnapshotNotFoundError if there is none."""
    row = get_snapshot(session, snapshot_id=snapshot_id)
    if row is None:
        raise SnapshotNotFoundError(
            f"no snapshot {snapshot_id!r} (give its id or at least 8 of its first hex digits; "
            "`redline snapshot list` shows them)"
        )
    return row


def snapshot_contents_in(session: Session, row: SnapshotRow) -> dict[str, Any]:
    """The snapshot's manifest with what was copied after the change (files, sections)."""
    done = get_snapshot_completion(session, snapshot_id=row.id)
    return complete_manifest(row.manifest, None if done is None else done.record)


def get_snapshot_view(store: Store, *, snapshot_id: str) -> SnapshotView:
    """One snapshot by id or unique id prefix."""
    with store.reading() as session:
        return SnapshotView.of(require_snapshot_in(session, snapshot_id=snapshot_id), session)


def list_snapshot_views(
    store: Store, *, incident_key: str | None = None, model: str | None = None, limit: int = 100
) -> list[SnapshotView]:
    """Snapshots, newest first, of an incident and/or a model."""
    with store.reading() as session:
        incident_id = None
        if incident_key is not None:
            incident = get_incident(session, key=incident_key)
            if incident is None:
                raise SnapshotNotFoundError(f"no incident {incident_key!r}")
            incident_id = incident.id
        rows = list_snapshots(session, incident_id=incident_id, model=model, limit=limit)
        return [SnapshotView.of(r, session) for r in rows]
