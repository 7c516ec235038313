"""A manifest written before a change and its completion copied after: merged and checked."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from redline.forensics.manifest import ManifestBuilder, check_files, complete_manifest, manifest_id

TAKEN_AT = datetime(2026, 12, 7, tzinfo=UTC)


def _entry(name: str, content: bytes) -> dict[str, Any]:
    digest = hashlib.sha256(content).hexdigest()
    return {"name": name, "sha256": digest, "size": len(content), "media_type": "x"}


def _manifest() -> tuple[dict[str, Any], dict[str, bytes]]:
    b = ManifestBuilder()
    b.add_json("config/route_state.json", {"revision": 3})
    sections = {
        "model_version": {"version": "v1", "artifact": {"status": "pending", "sha256": "ab"}},
        "deferred": [{"name": "model/artifact.onnx", "kind": "artifact", "sha256": "ab"}],
    }
    manifest = b.build(
        model="m", incident=None, reason="declared", taken_at=TAKEN_AT, sections=sections
    )
    return manifest, dict(b.contents)


def test_the_completion_fills_sections_one_level_deep_and_adds_its_files() -> None:
    manifest, _ = _manifest()
    artifact = _entry("model/artifact.onnx", b"weights")
    completion = {
        "files": [artifact],
        "sections": {"model_version": {"artifact": {"status": "copied"}}, "code": {"x": 1}},
        "problems": [],
    }
    merged = complete_manifest(manifest, completion)
    assert merged["model_version"] == {"version": "v1", "artifact": {"status": "copied"}}
    assert merged["code"] == {"x": 1}
    assert [f["name"] for f in merged["files"]] == ["config/route_state.json", artifact["name"]]
    assert complete_manifest(manifest, None) == manifest


def test_pending_changed_and_mismatched_copies_fail_verification() -> None:
    manifest, blobs = _manifest()
    snapshot_id = manifest_id(manifest)
    pending = check_files(snapshot_id, manifest, blobs.get)
    assert not pending.ok
    assert pending.problems() == [
        "what was deferred until after the change has not been copied yet"
    ]

    artifact = _entry("model/artifact.onnx", b"weights")
    stored = {**blobs, artifact["sha256"]: b"weights"}
    completion = {"files": [artifact], "sections": {}, "problems": []}
    assert check_files(snapshot_id, manifest, stored.get, completion=completion).ok

    stored[artifact["sha256"]] = b"weightz"  # the copied bytes changed since
    changed = check_files(snapshot_id, manifest, stored.get, completion=completion)
    assert [f.status for f in changed.files] == ["ok", "changed"]

    stored[artifact["sha256"]] = b"weights"
    found = {**completion, "problems": ["model/artifact.onnx: the copy hashes to cd"]}
    recorded = check_files(snapshot_id, manifest, stored.get, completion=found)
    assert not recorded.ok
    assert recorded.problems() == ["model/artifact.onnx: the copy hashes to cd"]
