"""A snapshot as a tar.gz anyone can open: manifest.json, files/<sha256>, README.txt."""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from redline.errors import RedlineError
from redline.forensics.manifest import Verification, canonical_bytes, check_files

__all__ = ["ArchiveError", "read_archive", "read_archive_parts", "verify_archive", "write_archive"]

MAX_MEMBER_BYTES = 2 * 1024**3

README = """\
redline forensic snapshot {snapshot_id}

Model {model}, incident {incident}, taken {taken_at} ({reason}).

Layout
  manifest.json      what was captured: model version and artifact hash, code (git commit,
                     dirty flag, diff sha256), environment (Python, every distribution, OS,
                     CPU, GPU), data version, reference hash, and "files": one entry per file
                     with its name, sha256, size and media type. Secrets are "[redacted]".
  completion.json    what was copied after the change the snapshot preceded: the files
                     the manifest deferred ("deferred"), the sections filled in then, and
                     any mismatch with the hashes the manifest recorded ("problems").
  files/<sha256>     the bytes of each file, named by their own sha256 (JSON documents are
                     canonical JSON: sorted keys, no spaces).

Checking it by hand
  sha256 of manifest.json (as stored, canonical JSON) is the snapshot id:
      sha256sum manifest.json
  each file's name is its sha256:
      cd files && for f in *; do echo "$f  $f" | sha256sum -c --quiet; done
  or: redline snapshot verify {snapshot_id} against the store it came from.
"""


class ArchiveError(RedlineError):
    """An exported snapshot archive is unreadable or not laid out as redline writes it."""


def _add(tar: tarfile.TarFile, name: str, content: bytes, mtime: datetime) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(mtime.timestamp())
    info.mode = 0o444
    tar.addfile(info, io.BytesIO(content))


def write_archive(
    path: str | os.PathLike[str],
    *,
    snapshot_id: str,
    manifest: Mapping[str, Any],
    contents: Mapping[str, bytes],
    taken_at: datetime,
    completion: Mapping[str, Any] | None = None,
) -> Path:
    """Write the manifest, its completion, every file by its sha256 and a README (tar.gz)."""
    target = Path(path)
    readme = README.format(
        snapshot_id=snapshot_id,
        model=manifest.get("model"),
        incident=manifest.get("incident") or "(none)",
        taken_at=manifest.get("taken_at"),
        reason=manifest.get("reason"),
    )
    with tarfile.open(target, "w:gz") as tar:
        _add(tar, "README.txt", readme.encode("utf-8"), taken_at)
        _add(tar, "manifest.json", canonical_bytes(manifest), taken_at)
        if completion is not None:
            _add(tar, "completion.json", canonical_bytes(completion), taken_at)
        for digest in sorted(contents):
            _add(tar, f"files/{digest}", contents[digest], taken_at)
    return target


def read_archive(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the files (by sha256 name) of an exported snapshot."""
    manifest, _, files = read_archive_parts(path)
    return manifest, files


def read_archive_parts(
    path: str | os.PathLike[str],
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, bytes]]:
    """The manifest, the completion (None if the archive has none) and the files by sha256."""
    files: dict[str, bytes] = {}
    manifest: dict[str, Any] | None = None
    completion: dict[str, Any] | None = None
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar.getmembers():
                if not member.isfile() or member.size > MAX_MEMBER_BYTES:
                    continue
                handle = tar.extractfile(member)
                data = handle.read() if handle is not None else b""
                if member.name == "manifest.json":
                    manifest = json.loads(data)
                elif member.name == "completion.json":
                    completion = json.loads(data)
                elif member.name.startswith("files/"):
                    files[member.name.removeprefix("files/")] = data
    except (OSError, tarfile.TarError, ValueError) as exc:
        raise ArchiveError(f"{path}: not a readable snapshot archive ({exc})") from None
    if not isinstance(manifest, dict):
        raise ArchiveError(f"{path}: no manifest.json in the archive")
    return manifest, completion if isinstance(completion, dict) else None, files


def verify_archive(path: str | os.PathLike[str], *, snapshot_id: str | None = None) -> Verification:
    """Check an exported archive on its own: the manifest against the id, every file's bytes.

    The id should come from somewhere trusted (the incident's hash-chained timeline); without
    one, the id the README names is used, which catches accidents but not a careful forger.
    """
    manifest, completion, files = read_archive_parts(path)
    expected = snapshot_id or _readme_id(path)
    return check_files(expected, manifest, files.get, completion=completion)


def _readme_id(path: str | os.PathLike[str]) -> str:
    with tarfile.open(path, "r:gz") as tar:
        handle = tar.extractfile("README.txt")
        first = handle.readline().decode("utf-8", "replace") if handle is not None else ""
    return first.strip().rsplit(" ", 1)[-1]
