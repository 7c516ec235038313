"""Reading snapshots: the view people see, lookups by id or prefix, listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redline.errors import RedlineError
from redline.store import Session, SnapshotRow, Store, get_incident, get_snapshot, list_snapshots

__all__ = [
    "SnapshotNotFoundError",
    "SnapshotView",
    "get_snapshot_view",
    "list_snapshot_views",
    "require_snapshot_in",
]


class SnapshotNotFoundError(RedlineError):
    """No snapshot has this id (or id prefix), or the incident named has none."""


@dataclass(frozen=True)
class SnapshotView:
    """A stored snapshot as people read it: who, when, why, how much, and its manifest."""

    id: str
    model: str
    incident: str | None
    reason: str
    taken_at: datetime
    files: int
    size_bytes: int
    manifest: dict[str, Any]

    @classmethod
    def of(cls, row: SnapshotRow) -> SnapshotView:
        """The view of a stored row."""
        files = row.manifest.get("files", [])
        return cls(
            id=row.id,
            model=row.model,
            incident=row.manifest.get("incident"),
            reason=row.reason,
            taken_at=row.taken_at,
            files=len(files),
            size_bytes=sum(int(f.get("size", 0)) for f in files),
            manifest=dict(row.manifest),
        )

    def to_dict(self, *, manifest: bool = True) -> dict[str, Any]:
        """JSON-ready form (the manifest left out for listings)."""
        out: dict[str, Any] = {
            "id": self.id,
            "model": self.model,
            "incident": self.incident,
            "reason": self.reason,
            "taken_at": self.taken_at.isoformat(),
            "files": self.files,
            "size_bytes": self.size_bytes,
        }
        if manifest:
            out["manifest"] = self.manifest
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


def get_snapshot_view(store: Store, *, snapshot_id: str) -> SnapshotView:
    """One snapshot by id or unique id prefix."""
    with store.reading() as session:
        return SnapshotView.of(require_snapshot_in(session, snapshot_id=snapshot_id))


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
        return [SnapshotView.of(r) for r in rows]
