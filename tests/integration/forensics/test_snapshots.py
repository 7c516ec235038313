"""Snapshots on a real store: taken, listed, verified byte by byte, exported, immutable."""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from snapshot_world import MODEL, World, build_world, register, serve
from sqlalchemy.exc import DBAPIError

from redline.errors import DataError
from redline.forensics.archive import verify_archive
from redline.forensics.manifest import manifest_id
from redline.services.snapshots import (
    SnapshotNotFoundError,
    export_snapshot,
    get_snapshot_view,
    list_snapshot_views,
    take_snapshot,
    verify_snapshot,
)
from redline.store import Store, add_snapshot, get_blob, get_snapshot


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def store(migrated_url: str, world: World) -> Iterator[Store]:
    opened = Store.from_url(migrated_url)
    register(opened, world)
    serve(migrated_url, world, n=300, shift=0.0, seed=1)
    yield opened
    opened.dispose()


def _set_blob(store: Store, digest: str, content: bytes) -> None:
    """Overwrite a blob behind the store's back, with the append-only triggers set aside."""
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE blobs DISABLE TRIGGER blobs_append_only")
            connection.exec_driver_sql(
                "UPDATE blobs SET content = %(c)s WHERE sha256 = %(s)s", {"c": content, "s": digest}
            )
            connection.exec_driver_sql("ALTER TABLE blobs ENABLE TRIGGER blobs_append_only")
        else:
            (sql,) = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'blobs_no_update'"
            ).one()
            connection.exec_driver_sql("DROP TRIGGER blobs_no_update")
            connection.exec_driver_sql(
                "UPDATE blobs SET content = ? WHERE sha256 = ?", (content, digest)
            )
            connection.exec_driver_sql(sql)


def test_a_snapshot_records_model_code_environment_data_and_windows(store: Store) -> None:
    view = take_snapshot(store, model=MODEL, actor="alice")
    assert view.complete  # the bytes were copied right after the manifest's commit
    assert view.declared["model_version"]["artifact"]["status"] == "pending"
    manifest = view.manifest
    assert manifest["model_version"]["version"] == "v1"
    assert manifest["model_version"]["artifact"]["status"] == "copied"
    assert (
        manifest["model_version"]["artifact"]["sha256"]
        == manifest["model_version"]["artifact_sha256"]
    )
    assert manifest["code"]["status"] in {"recorded", "unavailable"}
    assert manifest["environment"]["distributions"] > 10
    assert manifest["data"]["reference_hash"]
    (window,) = manifest["observations"]["windows"]
    assert window["n_rows"] == 300
    assert manifest["observations"]["sample_rows"] > 0
    names = {f["name"] for f in manifest["files"]}
    assert {"environment.json", "reference.json", "config/route_state.json"} <= names
    assert all(set(f) == {"name", "sha256", "size", "media_type"} for f in manifest["files"])
    assert verify_snapshot(store, snapshot_id=view.id).ok
    assert manifest_id(view.declared) == view.id  # the store and forensics agree on the id


def test_ids_resolve_by_prefix_and_listing_is_newest_first(store: Store) -> None:
    view = take_snapshot(store, model=MODEL)
    assert get_snapshot_view(store, snapshot_id=view.id[:8]).id == view.id
    assert [v.id for v in list_snapshot_views(store, model=MODEL)] == [view.id]
    with pytest.raises(SnapshotNotFoundError, match="at least 8"):
        get_snapshot_view(store, snapshot_id=view.id[:7])
    with pytest.raises(SnapshotNotFoundError):
        take_snapshot(store, model=MODEL, incident_key="RL-2026-9999")


def test_an_ambiguous_prefix_is_refused(store: Store) -> None:
    seen: dict[str, dict[str, int]] = {}
    for n in range(2_000_000):  # a birthday search for two manifests sharing 8 hex digits
        manifest = {"n": n}
        prefix = manifest_id(manifest)[:8]
        if prefix in seen:
            break
        seen[prefix] = manifest
    at = datetime.now(UTC)
    with store.session() as session:
        for body in (seen[prefix], manifest):
            add_snapshot(
                session,
                manifest=body,
                incident_id=None,
                model=MODEL,
                reason="on_demand",
                taken_at=at,
            )
        with pytest.raises(DataError, match="more than one snapshot"):
            get_snapshot(session, snapshot_id=prefix)
        assert get_snapshot(session, snapshot_id=manifest_id(manifest)) is not None
        session.rollback()


def test_verify_detects_any_changed_byte(store: Store) -> None:
    view = take_snapshot(store, model=MODEL)
    artifact = next(f for f in view.manifest["files"] if f["name"].startswith("model/"))
    with store.session() as session:
        blob = get_blob(session, sha256=artifact["sha256"])
        assert blob is not None
        original = bytes(blob.content)
    for position in (0, len(original) // 2, len(original) - 1):
        changed = bytearray(original)
        changed[position] ^= 0x01
        _set_blob(store, artifact["sha256"], bytes(changed))
        result = verify_snapshot(store, snapshot_id=view.id)
        assert not result.ok
        (problem,) = result.problems()
        assert problem.startswith(artifact["name"])
    _set_blob(store, artifact["sha256"], original)
    assert verify_snapshot(store, snapshot_id=view.id).ok


def test_verify_detects_a_changed_manifest(store: Store) -> None:
    view = take_snapshot(store, model=MODEL)
    forged = {**view.declared, "model_version": {**view.declared["model_version"], "version": "v0"}}
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "ALTER TABLE snapshots DISABLE TRIGGER snapshots_append_only"
            )
            connection.exec_driver_sql(
                "UPDATE snapshots SET manifest = CAST(%(m)s AS jsonb) WHERE id = %(i)s",
                {"m": json.dumps(forged), "i": view.id},
            )
            connection.exec_driver_sql("ALTER TABLE snapshots ENABLE TRIGGER snapshots_append_only")
        else:
            (sql,) = connection.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE name = 'snapshots_no_update'"
            ).one()
            connection.exec_driver_sql("DROP TRIGGER snapshots_no_update")
            connection.exec_driver_sql(
                "UPDATE snapshots SET manifest = ? WHERE id = ?", (json.dumps(forged), view.id)
            )
            connection.exec_driver_sql(sql)
    result = verify_snapshot(store, snapshot_id=view.id)
    assert not result.ok
    assert result.problems() == [f"the manifest hashes to {result.recomputed_id}, not to its id"]


def test_the_evidence_tables_refuse_changes(store: Store) -> None:
    view = take_snapshot(store, model=MODEL)
    for sql in (
        f"UPDATE snapshots SET reason = 'declared' WHERE id = '{view.id}'",
        f"DELETE FROM snapshots WHERE id = '{view.id}'",
        "UPDATE blobs SET media_type = 'text/plain'",
        "DELETE FROM blobs",
    ):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
            connection.exec_driver_sql(sql)
    assert verify_snapshot(store, snapshot_id=view.id).ok


def test_an_export_is_a_plain_tar_that_verifies_and_catches_changes(
    store: Store, tmp_path: Path
) -> None:
    view = take_snapshot(store, model=MODEL)
    path = export_snapshot(store, snapshot_id=view.id, path=tmp_path / "snap.tar.gz")
    with tarfile.open(path) as tar:
        names = set(tar.getnames())
        readme = tar.extractfile("README.txt")
        assert readme is not None
        assert view.id in readme.read().decode()
    assert {"README.txt", "manifest.json"} <= names
    assert {f"files/{f['sha256']}" for f in view.manifest["files"]} <= names - {"README.txt"}
    assert verify_archive(path, snapshot_id=view.id).ok
    assert verify_archive(path).ok  # the README names the id

    # Change one byte of one file inside the archive: it no longer verifies.
    target = f"files/{view.manifest['files'][0]['sha256']}"
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(path) as source, tarfile.open(tampered, "w:gz") as out:
        for member in source.getmembers():
            handle = source.extractfile(member)
            data = handle.read() if handle is not None else b""
            if member.name == target:
                data = bytes([data[0] ^ 0x20]) + data[1:]
            out.addfile(member, io.BytesIO(data))
    result = verify_archive(tampered, snapshot_id=view.id)
    assert not result.ok
    assert [f.status for f in result.files].count("changed") == 1
