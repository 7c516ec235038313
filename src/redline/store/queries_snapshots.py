"""Forensic evidence: content-addressed blobs and snapshot manifests. Functions flush; callers commit."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from redline.domain.timeline import canonical_json
from redline.errors import DataError
from redline.store.queries import _add_once
from redline.store.tables_forensics import (
    SNAPSHOT_REASONS,
    BlobRow,
    SnapshotCompletionRow,
    SnapshotRow,
)

__all__ = [
    "add_blob",
    "add_snapshot",
    "add_snapshot_completion",
    "get_blob",
    "get_snapshot",
    "get_snapshot_completion",
    "list_incomplete_snapshots",
    "list_snapshots",
]

#: The shortest id prefix accepted for a snapshot (like git's short hashes).
_MIN_PREFIX_CHARS = 8
_HEX = frozenset("0123456789abcdef")


def _manifest_id(manifest: dict[str, Any]) -> str:
    # The same canonical form as redline.forensics.manifest.manifest_id, whose id this must be.
    return hashlib.sha256(canonical_json(manifest).encode("utf-8")).hexdigest()


def add_blob(session: Session, *, content: bytes, media_type: str) -> str:
    """Store bytes under their sha256 once (a repeat is a no-op); returns the sha256."""
    digest = hashlib.sha256(content).hexdigest()
    if session.identity_map.get(identity_key(BlobRow, digest)) is not None:
        return digest
    values = {
        "sha256": digest,
        "size_bytes": len(content),
        "media_type": media_type,
        "content": content,
        "created_at": datetime.now(UTC),
    }
    # One statement, without reading back bytes that may be stored already (and large).
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(BlobRow).values(**values).on_conflict_do_nothing(index_elements=["sha256"])
    )
    return digest


def get_blob(session: Session, *, sha256: str) -> BlobRow | None:
    """The blob with this sha256, or None."""
    return session.get(BlobRow, sha256)


def add_snapshot(
    session: Session,
    *,
    manifest: dict[str, Any],
    incident_id: int | None,
    model: str,
    reason: str,
    taken_at: datetime,
) -> SnapshotRow:
    """Store a manifest under its own sha256 once; the same manifest again returns the stored row."""
    if reason not in SNAPSHOT_REASONS:
        raise ValueError(f"snapshot reason must be one of {', '.join(SNAPSHOT_REASONS)}")
    digest = _manifest_id(manifest)
    row = SnapshotRow(
        id=digest,
        incident_id=incident_id,
        model=model,
        reason=reason,
        manifest=manifest,
        taken_at=taken_at,
    )
    stored, _ = _add_once(session, row, lambda: session.get(SnapshotRow, digest))
    return stored


def get_snapshot(session: Session, *, snapshot_id: str) -> SnapshotRow | None:
    """The snapshot with this id or unique prefix (8+ hex digits), or None; DataError if ambiguous."""
    key = snapshot_id.strip().lower()
    if len(key) < _MIN_PREFIX_CHARS or not set(key) <= _HEX:
        return None
    exact = session.get(SnapshotRow, key)
    if exact is not None or len(key) >= 64:
        return exact
    query = select(SnapshotRow).where(SnapshotRow.id.startswith(key, autoescape=True)).limit(2)
    found = list(session.scalars(query))
    if len(found) > 1:
        raise DataError(
            f"snapshot id prefix {key!r} matches more than one snapshot; give more digits"
        )
    return found[0] if found else None


def list_snapshots(
    session: Session,
    *,
    incident_id: int | None = None,
    model: str | None = None,
    limit: int = 100,
) -> list[SnapshotRow]:
    """Snapshots, newest first, of one incident and/or one model."""
    query = select(SnapshotRow)
    if incident_id is not None:
        query = query.where(SnapshotRow.incident_id == incident_id)
    if model is not None:
        query = query.where(SnapshotRow.model == model)
    query = query.order_by(SnapshotRow.taken_at.desc(), SnapshotRow.id).limit(limit)
    return list(session.scalars(query))


def add_snapshot_completion(
    session: Session, *, snapshot_id: str, record: dict[str, Any], completed_at: datetime
) -> tuple[SnapshotCompletionRow, bool]:
    """Store a snapshot's completion once; True if this call stored it (else the stored one)."""
    row = SnapshotCompletionRow(snapshot_id=snapshot_id, record=record, completed_at=completed_at)
    return _add_once(session, row, lambda: session.get(SnapshotCompletionRow, snapshot_id))


def get_snapshot_completion(session: Session, *, snapshot_id: str) -> SnapshotCompletionRow | None:
    """The completion of this snapshot (its bytes copied after the change), or None if pending."""
    return session.get(SnapshotCompletionRow, snapshot_id)


def list_incomplete_snapshots(session: Session, *, limit: int = 100) -> list[SnapshotRow]:
    """Snapshots whose bytes are not copied yet, oldest first."""
    done = select(SnapshotCompletionRow.snapshot_id).where(
        SnapshotCompletionRow.snapshot_id == SnapshotRow.id
    )
    query = (
        select(SnapshotRow)
        .where(~done.exists())
        .order_by(SnapshotRow.taken_at, SnapshotRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))
