"""Forensic snapshots: take (on declaration, before a change, on demand), verify, export."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from redline.forensics.archive import write_archive
from redline.forensics.manifest import Verification, check_files
from redline.services.chains import record_audit, record_event
from redline.services.evidence import SnapshotConfig, collect_in
from redline.services.integrity import chain_head_in
from redline.services.snapshot_completion import (
    complete_pending_snapshots,
    complete_snapshot,
    complete_snapshot_after_commit,
)
from redline.services.snapshot_views import (
    SnapshotNotFoundError,
    SnapshotView,
    get_snapshot_view,
    list_snapshot_views,
    require_snapshot_in,
    snapshot_contents_in,
)
from redline.store import (
    IncidentRow,
    Session,
    SnapshotRow,
    Store,
    add_blob,
    add_snapshot,
    get_blob,
    get_incident,
    get_snapshot_completion,
    list_snapshots,
)

__all__ = [
    "SnapshotConfig",
    "SnapshotNotFoundError",
    "SnapshotView",
    "complete_pending_snapshots",
    "complete_snapshot",
    "export_snapshot",
    "get_snapshot_view",
    "latest_snapshot_id_in",
    "list_snapshot_views",
    "snapshot_once_in",
    "take_snapshot",
    "take_snapshot_in",
    "verify_snapshot",
]


def take_snapshot_in(
    session: Session,
    *,
    incident: IncidentRow | None,
    model: str,
    reason: str,
    now: datetime,
    actor: str = "system",
    config: SnapshotConfig | None = None,
    environ: Mapping[str, str] | None = None,
) -> SnapshotRow:
    """Store a snapshot's manifest in the caller's transaction; on the incident's timeline.

    Only what is cheap is captured here (hashes, ids, the route, a known environment); the
    bytes the manifest defers are copied once the caller's ``Store.session`` commits, or by
    ``complete_pending_snapshots``.
    """
    chosen = config if config is not None else SnapshotConfig.from_settings()
    builder, sections = collect_in(
        session, model=model, incident=incident, now=now, config=chosen, environ=environ
    )
    # The chains' tips travel with the evidence: a later truncation shows against them.
    builder.add_json("chain_head.json", chain_head_in(session, now=now).to_dict())
    for entry in {f.sha256: f for f in builder.files}.values():
        add_blob(session, content=builder.contents[entry.sha256], media_type=entry.media_type)
    key = incident.key if incident is not None else None
    manifest = builder.build(
        model=model, incident=key, reason=reason, taken_at=now, sections=sections
    )
    row = add_snapshot(
        session,
        manifest=manifest,
        incident_id=incident.id if incident is not None else None,
        model=model,
        reason=reason,
        taken_at=now,
    )
    complete_snapshot_after_commit(session, snapshot_id=row.id)
    details = {"snapshot_id": row.id, "reason": reason, "files": len(manifest["files"])}
    if incident is not None:
        record_event(
            session,
            incident_id=incident.id,
            at=now,
            actor=actor,
            kind="snapshot_taken",
            details=details,
        )
    record_audit(
        session,
        at=now,
        actor=actor,
        action="snapshot_taken",
        target=f"model:{model}",
        details={**details, "incident": key},
    )
    return row


def latest_snapshot_id_in(session: Session, *, incident_id: int) -> str | None:
    """The id of the incident's newest snapshot, or None if it has none."""
    rows = list_snapshots(session, incident_id=incident_id, limit=1)
    return rows[0].id if rows else None


def snapshot_once_in(
    session: Session, *, incident: IncidentRow, reason: str, now: datetime, actor: str = "system"
) -> str | None:
    """The incident's snapshot id, taking the first one now; None (and on the timeline) if it fails.

    Evidence comes before change, but a failed snapshot must never hold containment back, so a
    failure is recorded and swallowed inside a savepoint that keeps the transaction usable.
    """
    existing = latest_snapshot_id_in(session, incident_id=incident.id)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            row = take_snapshot_in(
                session,
                incident=incident,
                model=incident.model,
                reason=reason,
                now=now,
                actor=actor,
            )
    except Exception as exc:  # any failure is recorded; containment proceeds
        record_event(
            session,
            incident_id=incident.id,
            at=now,
            actor="system",
            kind="snapshot_failed",
            details={"reason": reason, "error": f"{type(exc).__name__}: {exc}"[:500]},
        )
        return None
    return row.id


def take_snapshot(
    store: Store,
    *,
    model: str,
    incident_key: str | None = None,
    actor: str = "system",
    now: datetime | None = None,
    config: SnapshotConfig | None = None,
) -> SnapshotView:
    """Take a snapshot on demand, of a model and optionally for one of its incidents."""
    at = now or datetime.now(UTC)
    with store.session() as session:
        incident = None
        if incident_key is not None:
            incident = get_incident(session, key=incident_key)
            if incident is None:
                raise SnapshotNotFoundError(f"no incident {incident_key!r}")
            if incident.model != model:
                raise SnapshotNotFoundError(
                    f"incident {incident_key} is about model {incident.model!r}, not {model!r}"
                )
        row = take_snapshot_in(
            session,
            incident=incident,
            model=model,
            reason="on_demand",
            now=at,
            actor=actor,
            config=config,
        )
        snapshot_id = row.id
    # The copy ran once the transaction committed; read the snapshot with its bytes.
    return get_snapshot_view(store, snapshot_id=snapshot_id)


def verify_snapshot(store: Store, *, snapshot_id: str) -> Verification:
    """Recompute the manifest's id and every file's sha256 from the stored bytes."""
    with store.session() as session:
        row = require_snapshot_in(session, snapshot_id=snapshot_id)

        def fetch(digest: str) -> bytes | None:
            blob = get_blob(session, sha256=digest)
            return None if blob is None else bytes(blob.content)

        completion = get_snapshot_completion(session, snapshot_id=row.id)
        record = None if completion is None else completion.record
        return check_files(row.id, row.manifest, fetch, completion=record)


def export_snapshot(store: Store, *, snapshot_id: str, path: str | os.PathLike[str]) -> Path:
    """Write the snapshot as a tar.gz (manifest.json, files/<sha256>, README.txt)."""
    with store.session() as session:
        row = require_snapshot_in(session, snapshot_id=snapshot_id)
        contents = {}
        completion = get_snapshot_completion(session, snapshot_id=row.id)
        for entry in snapshot_contents_in(session, row)["files"]:
            blob = get_blob(session, sha256=str(entry["sha256"]))
            if blob is not None:
                contents[blob.sha256] = bytes(blob.content)
        return write_archive(
            path,
            snapshot_id=row.id,
            manifest=row.manifest,
            contents=contents,
            taken_at=row.taken_at,
            completion=None if completion is None else completion.record,
        )
