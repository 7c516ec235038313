"""Manifests: canonical bytes, ids that change with any field, files checked byte by byte."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from redline.forensics.divergence import ReplayRow, compare_outputs, recorded_rows
from redline.forensics.manifest import ManifestBuilder, canonical_bytes, check_files, manifest_id

AT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _built() -> tuple[ManifestBuilder, dict[str, object]]:
    b = ManifestBuilder()
    b.add_json("config/route_state.json", {"mode": "primary", "revision": 3})
    b.add_bytes("model/artifact.onnx", bytes(range(256)) * 4, "application/octet-stream")
    b.add_json("same-again.json", {"revision": 3, "mode": "primary"})
    manifest = b.build(model="m", incident="RL-1", reason="declared", taken_at=AT, sections={})
    return b, manifest


def test_canonical_json_ignores_key_order_and_whitespace() -> None:
    assert canonical_bytes({"b": 1, "a": [1, 2]}) == canonical_bytes({"a": [1, 2], "b": 1})
    assert canonical_bytes({"a": 1}) == b'{"a":1}'


def test_equal_content_is_stored_once_and_named_twice() -> None:
    b, manifest = _built()
    files = manifest["files"]
    assert isinstance(files, list)
    assert [f["name"] for f in files] == sorted(f["name"] for f in files)
    assert len(files) == 3
    assert len(b.contents) == 2


def test_any_manifest_change_changes_the_id() -> None:
    _, manifest = _built()
    base = manifest_id(manifest)
    assert base == manifest_id(dict(reversed(list(manifest.items()))))
    for key, value in (("reason", "on_demand"), ("incident", "RL-2"), ("model", "n")):
        assert manifest_id({**manifest, key: value}) != base


def test_every_changed_byte_of_every_file_is_caught() -> None:
    b, manifest = _built()
    base_id = manifest_id(manifest)
    assert check_files(base_id, manifest, b.contents.get).ok
    for digest, content in b.contents.items():
        for position in range(len(content)):
            changed = bytearray(content)
            changed[position] ^= 0x80
            store = {**b.contents, digest: bytes(changed)}
            result = check_files(base_id, manifest, store.get)
            assert not result.ok
            assert [f.status for f in result.files].count("changed") >= 1
    missing = check_files(base_id, manifest, lambda _: None)
    assert {f.status for f in missing.files} == {"missing"}
    assert len(missing.problems()) == 3


def test_a_wrong_id_is_reported() -> None:
    b, manifest = _built()
    result = check_files("0" * 64, manifest, b.contents.get)
    assert not result.ok
    assert "not to its id" in result.problems()[0]
    assert hashlib.sha256(canonical_bytes(manifest)).hexdigest() == result.recomputed_id


def test_recorded_rows_split_inputs_from_outputs() -> None:
    window = {
        "window_id": "w1",
        "sample": {"capacity": 4, "items": [[0.1, {"x": 1.0, "score": 2.0, "label": 1}]]},
        "flagged": {"capacity": 4, "items": [[0.2, {"x": 9.0, "score": None, "_flags": ["x"]}]]},
    }
    rows = recorded_rows([window], prediction="score", exclude=["label"])
    assert rows == [
        ReplayRow("w1", "sample", {"x": 1.0}, 2.0),
        ReplayRow("w1", "flagged", {"x": 9.0}, None),
    ]


def test_divergence_counts_only_rows_with_recorded_outputs() -> None:
    rows = [ReplayRow("w", "sample", {}, v) for v in (1.0, 2.0, None, "a", 5)]
    result = compare_outputs(rows, [1.0, 2.5, 7.0, "b", 5])
    assert (result.rows, result.compared, result.diverged) == (5, 4, 2)
    assert result.share == 0.5
    assert result.max_abs_diff == 0.5
    assert [e["recorded"] for e in result.examples] == [2.0, "a"]
