"""Snapshot manifests: content-addressed files, canonical JSON, and checking files against them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redline.domain.timeline import canonical_json

__all__ = [
    "FORMAT",
    "FileCheck",
    "ManifestBuilder",
    "SnapshotFile",
    "Verification",
    "canonical_bytes",
    "check_files",
    "complete_manifest",
    "manifest_id",
]

FORMAT = "redline-snapshot/1"
JSON_MEDIA_TYPE = "application/json"


def canonical_bytes(value: Mapping[str, Any]) -> bytes:
    """The canonical JSON of ``value`` (sorted keys, no spaces) as UTF-8 bytes."""
    return canonical_json(value).encode("utf-8")


def manifest_id(manifest: Mapping[str, Any]) -> str:
    """A snapshot's id: the sha256 of its manifest's canonical JSON (as the store computes it)."""
    return hashlib.sha256(canonical_bytes(manifest)).hexdigest()


@dataclass(frozen=True)
class SnapshotFile:
    """One file of a snapshot: its role, content hash, size and media type."""

    name: str
    sha256: str
    size: int
    media_type: str

    def to_dict(self) -> dict[str, Any]:
        """The file's manifest entry."""
        return {
            "name": self.name,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
        }


@dataclass
class ManifestBuilder:
    """Collects a snapshot's files (bytes by sha256) and sections, then seals the manifest."""

    files: list[SnapshotFile] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)

    def add_bytes(self, name: str, content: bytes, media_type: str) -> SnapshotFile:
        """Add a file; the same bytes under two names are kept once."""
        digest = hashlib.sha256(content).hexdigest()
        entry = SnapshotFile(name, digest, len(content), media_type)
        self.files.append(entry)
        self.contents[digest] = content
        return entry

    def add_json(self, name: str, value: Mapping[str, Any]) -> SnapshotFile:
        """Add a JSON document, written canonically so equal values give equal hashes."""
        return self.add_bytes(name, canonical_bytes(value), JSON_MEDIA_TYPE)

    def build(
        self,
        *,
        model: str,
        incident: str | None,
        reason: str,
        taken_at: datetime,
        sections: Mapping[str, Any],
    ) -> dict[str, Any]:
        """The manifest: what was captured, when and why, and every file's entry."""
        manifest = {
            "format": FORMAT,
            "model": model,
            "incident": incident,
            "reason": reason,
            "taken_at": taken_at.isoformat(),
            **sections,
            "files": [f.to_dict() for f in sorted(self.files, key=lambda f: f.name)],
        }
        # A JSON round trip makes the manifest exactly what the store will give back.
        loaded: dict[str, Any] = json.loads(canonical_json(manifest))
        return loaded


@dataclass(frozen=True)
class FileCheck:
    """The verdict on one manifest file: ok, missing, or changed (with the hash found)."""

    name: str
    sha256: str
    status: str
    found_sha256: str | None = None
    found_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "sha256": self.sha256,
            "status": self.status,
            "found_sha256": self.found_sha256,
            "found_size": self.found_size,
        }


def complete_manifest(
    manifest: Mapping[str, Any], completion: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The manifest with what was copied after the change: its files added, sections filled."""
    out = dict(manifest)
    if completion is None:
        return out
    for key, value in (completion.get("sections") or {}).items():
        before = out.get(key)
        out[key] = (
            {**before, **value} if isinstance(before, dict) and isinstance(value, dict) else value
        )
    files = [*manifest.get("files", []), *completion.get("files", [])]
    out["files"] = sorted(files, key=lambda f: str(f.get("name")))
    return out


@dataclass(frozen=True)
class Verification:
    """Whether a snapshot is intact: its id against its manifest, and every file's bytes."""

    snapshot_id: str
    recomputed_id: str
    files: tuple[FileCheck, ...]
    #: What the copy after the change found wrong, or that it has not run yet.
    recorded: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the manifest and every file match their hashes and the copy found nothing."""
        return (
            self.snapshot_id == self.recomputed_id
            and all(f.status == "ok" for f in self.files)
            and not self.recorded
        )

    def problems(self) -> list[str]:
        """One sentence per mismatch."""
        out = list(self.recorded)
        if self.snapshot_id != self.recomputed_id:
            out.append(f"the manifest hashes to {self.recomputed_id}, not to its id")
        for f in self.files:
            if f.status == "missing":
                out.append(f"{f.name}: blob {f.sha256} is missing")
            elif f.status == "changed":
                out.append(f"{f.name}: content hashes to {f.found_sha256}, expected {f.sha256}")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "snapshot_id": self.snapshot_id,
            "recomputed_id": self.recomputed_id,
            "ok": self.ok,
            "problems": self.problems(),
            "files": [f.to_dict() for f in self.files],
        }


def check_files(
    snapshot_id: str,
    manifest: Mapping[str, Any],
    fetch: Callable[[str], bytes | None],
    *,
    completion: Mapping[str, Any] | None = None,
) -> Verification:
    """Recompute the manifest's id and every file's sha256 from the bytes ``fetch`` returns.

    ``completion`` is what was copied after the change; a manifest that deferred files and has
    none is reported as not yet complete, and what the copy found wrong is reported as found.
    """
    checks = []
    recorded: list[str] = []
    if completion is None and manifest.get("deferred"):
        recorded.append("what was deferred until after the change has not been copied yet")
    elif completion is not None:
        recorded.extend(str(p) for p in completion.get("problems", []))
    entries = complete_manifest(manifest, completion)["files"]
    for entry in entries:
        expected = str(entry.get("sha256"))
        content = fetch(expected)
        if content is None:
            checks.append(FileCheck(str(entry.get("name")), expected, "missing"))
            continue
        found = hashlib.sha256(content).hexdigest()
        same = found == expected and len(content) == entry.get("size")
        status = "ok" if same else "changed"
        checks.append(FileCheck(str(entry.get("name")), expected, status, found, len(content)))
    return Verification(snapshot_id, manifest_id(manifest), tuple(checks), tuple(recorded))
