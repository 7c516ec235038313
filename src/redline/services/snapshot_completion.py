"""The second step of a snapshot: after the change commits, copy the bytes its manifest deferred.

The manifest, written before the change, names each deferred file by what its bytes must hash
to (the artifact's registered sha256, the reference's content hash, each window's payload
hash). Here they are read, checked, stored as blobs and recorded as the snapshot's completion;
a mismatch is kept as evidence (on the incident's timeline), never silently repaired.
Idempotent: a snapshot completes once, whoever runs it first (the response path right after
its commit, or ``complete_pending_snapshots`` from a loop). Inside ``deferring_copies()`` (the
control loop's responses) the commit only lists the snapshot: the loop copies its bytes once the
Guards serve the changed route, so the copy never delays containment.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redline.forensics.environment import local_environment, unavailable
from redline.forensics.manifest import JSON_MEDIA_TYPE, canonical_bytes
from redline.forensics.redact import scrub, secrets_in_environ
from redline.forensics.versions import capture_code, capture_data
from redline.services.chains import record_audit, record_event
from redline.services.evidence import OCTET_STREAM, payload_sha256, summarise_environment
from redline.store import (
    Session,
    Store,
    add_blob,
    add_snapshot_completion,
    after_commit,
    get_reference,
    get_snapshot,
    get_snapshot_completion,
    get_window,
    list_incomplete_snapshots,
)

__all__ = [
    "complete_pending_snapshots",
    "complete_snapshot",
    "complete_snapshot_after_commit",
    "deferring_copies",
]

log = logging.getLogger("redline.snapshots")
ACTOR = "system"
#: Snapshots committed inside ``deferring_copies()``: their bytes are the caller's to copy.
_DEFERRED: ContextVar[list[str] | None] = ContextVar("redline_deferred_copies", default=None)


@dataclass
class _Copy:
    """What the copy found: files (name, bytes, media type), filled sections, problems."""

    secrets: list[str]
    files: list[tuple[str, bytes, str]] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, content: bytes, media_type: str) -> str:
        self.files.append((name, content, media_type))
        return hashlib.sha256(content).hexdigest()

    def add_body(self, name: str, body: Mapping[str, Any], expected: str, what: str) -> None:
        """A stored JSON body, checked against the hash the manifest recorded, then scrubbed."""
        found = payload_sha256(body)
        if found != expected:
            self.problems.append(f"{name}: {what} hashes to {found}, the manifest says {expected}")
        self.add(name, canonical_bytes(scrub(dict(body), secrets=self.secrets)), JSON_MEDIA_TYPE)

    def record(self) -> dict[str, Any]:
        entries = [
            {
                "name": name,
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "media_type": media_type,
            }
            for name, content, media_type in self.files
        ]
        return {"files": entries, "sections": self.sections, "problems": self.problems}


def _from_store(session: Session, model: str, item: Mapping[str, Any], copy: _Copy) -> None:
    """Copy a reference or window body the store holds."""
    name, expected = str(item["name"]), str(item["content"])
    if item["kind"] == "reference":
        row = get_reference(session, model=model, content_hash=expected)
        if row is None:
            copy.problems.append(f"{name}: the reference {expected} is no longer stored")
        else:
            copy.add_body(name, row.payload, expected, "the stored reference")
        return
    window = get_window(session, window_id=str(item["source"]))
    if window is None:
        copy.problems.append(f"{name}: window {item['source']} is no longer stored")
    else:
        copy.add_body(name, window.payload, expected, "the stored window")


def _artifact(item: Mapping[str, Any], copy: _Copy) -> None:
    name, registered = str(item["name"]), str(item["sha256"])
    path = Path(str(item["source"]))
    try:
        content = path.read_bytes()
    except OSError as exc:
        copy.problems.append(f"{name}: {path} could not be read after the change ({exc})")
        gone = unavailable("the artifact could not be read when its bytes were copied")
        copy.sections["model_version"] = {"artifact": gone}
        return
    found = copy.add(name, content, OCTET_STREAM)
    if found != registered:  # a file that no longer matches its registered hash is evidence
        copy.problems.append(f"{name}: the copy hashes to {found}, the manifest says {registered}")
    copy.sections["model_version"] = {
        "artifact": {"status": "copied", "file": name, "sha256": found, "size": len(content)},
        "artifact_changed_since_registration": found != registered,
    }


def _captured(item: Mapping[str, Any], copy: _Copy) -> None:
    """Sections that run git, DVC or the environment capture: slow, so after the change."""
    kind = item["kind"]
    if kind == "code":
        copy.sections["code"] = scrub(capture_code(item.get("path")), secrets=copy.secrets)
    elif kind == "data":
        captured = capture_data(item.get("path"), declared=item.get("declared"))
        copy.sections["data"] = scrub(captured, secrets=copy.secrets)
    elif kind == "environment":
        document = scrub(local_environment() or {}, secrets=copy.secrets)
        digest = copy.add("environment.json", canonical_bytes(document), JSON_MEDIA_TYPE)
        copy.sections["environment"] = {
            "source": "local",
            **summarise_environment(document),
            "file": "environment.json",
            "fingerprint_sha256": digest,
            "note": "no Guard sent its environment: this is the process that completed the "
            "snapshot, not necessarily the model server",
        }
    elif kind == "artifact":
        _artifact(item, copy)


def _record_in(
    session: Session,
    snapshot_id: str,
    incident_id: int | None,
    model: str,
    copy: _Copy,
    now: datetime,
) -> bool:
    for _, content, media_type in copy.files:
        add_blob(session, content=content, media_type=media_type)
    record = copy.record()
    _, created = add_snapshot_completion(
        session, snapshot_id=snapshot_id, record=record, completed_at=now
    )
    if not created:
        return False
    details = {"snapshot_id": snapshot_id, "files": len(record["files"])}
    if incident_id is not None:
        record_event(
            session,
            incident_id=incident_id,
            at=now,
            actor=ACTOR,
            kind="snapshot_completed",
            details={**details, "sha256": {f["name"]: f["sha256"] for f in record["files"]}},
        )
        for problem in copy.problems:
            record_event(
                session,
                incident_id=incident_id,
                at=now,
                actor=ACTOR,
                kind="snapshot_mismatch",
                details={"snapshot_id": snapshot_id, "problem": problem[:1000]},
            )
    record_audit(
        session,
        at=now,
        actor=ACTOR,
        action="snapshot_completed",
        target=f"model:{model}",
        details={**details, "problems": len(copy.problems)},
    )
    return True


def complete_snapshot(store: Store, *, snapshot_id: str, now: datetime | None = None) -> bool:
    """Copy, check and store the bytes a snapshot deferred; False if it was complete already."""
    at = now or datetime.now(UTC)
    copy = _Copy(secrets=secrets_in_environ(os.environ))
    with store.reading() as session:
        row = get_snapshot(session, snapshot_id=snapshot_id)
        if row is None or get_snapshot_completion(session, snapshot_id=row.id) is not None:
            return False
        snapshot_id, incident_id, model = row.id, row.incident_id, row.model
        deferred = list(row.manifest.get("deferred", []))
        for item in deferred:
            if item.get("kind") in {"reference", "window"}:
                _from_store(session, model, item, copy)
    for item in deferred:  # file and subprocess work outside any transaction
        _captured(item, copy)
    with store.session() as session:
        return _record_in(session, snapshot_id, incident_id, model, copy, at)


def complete_pending_snapshots(
    store: Store, *, now: datetime | None = None, limit: int = 20, first: Sequence[str] = ()
) -> list[str]:
    """Complete the snapshots ``first`` names, then every other one still waiting for its bytes
    (oldest first); the ids completed."""
    with store.reading() as session:
        listed = [row.id for row in list_incomplete_snapshots(session, limit=limit)]
    pending = list(dict.fromkeys([*first, *listed]))
    done = []
    for snapshot_id in pending:
        try:
            if complete_snapshot(store, snapshot_id=snapshot_id, now=now):
                done.append(snapshot_id)
        except Exception:  # one snapshot's failure must not keep the others waiting
            log.exception("redline could not complete snapshot %s", snapshot_id)
    return done


@contextmanager
def deferring_copies() -> Iterator[list[str]]:
    """Snapshots committed in this block (this thread) are not copied at their commit: their
    ids are listed in the yielded list, for the caller to complete once its change is served."""
    deferred: list[str] = []
    token = _DEFERRED.set(deferred)
    try:
        yield deferred
    finally:
        _DEFERRED.reset(token)


def complete_snapshot_after_commit(session: Session, *, snapshot_id: str) -> None:
    """Complete the snapshot right after the caller's transaction commits (errors are logged;
    ``complete_pending_snapshots`` picks up what is left); inside ``deferring_copies()`` only
    list it there once committed."""
    deferred = _DEFERRED.get()
    if deferred is not None:
        after_commit(session, lambda _store: deferred.append(snapshot_id))
    else:
        after_commit(session, _completer(snapshot_id))


def _completer(snapshot_id: str) -> Callable[[Store], None]:
    def complete(store: Store) -> None:
        try:
            complete_snapshot(store, snapshot_id=snapshot_id)
        except Exception:
            log.exception("redline could not complete snapshot %s", snapshot_id)

    return complete
