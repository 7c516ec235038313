"""Replay: the snapshot's own artifact on its recorded rows, against its recorded outputs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from snapshot_fixtures import store_fixture, world_fixture
from snapshot_world import MODEL, World, register, serve
from sqlalchemy import text

from redline.services.artifacts import ArtifactError
from redline.services.replay import replay_snapshot
from redline.services.snapshots import take_snapshot
from redline.store import Store, get_blob

world = world_fixture()
store = store_fixture()


def _environment(store: Store, manifest: dict[str, Any]) -> dict[str, Any]:
    digest = next(f["sha256"] for f in manifest["files"] if f["name"] == "environment.json")
    with store.session() as session:
        blob = get_blob(session, sha256=digest)
        assert blob is not None
        loaded: dict[str, Any] = json.loads(blob.content)
        return loaded


def test_replay_reproduces_a_deterministic_model_exactly(
    migrated_url: str, store: Store, world: World
) -> None:
    serve(migrated_url, world, n=400, shift=0.0, seed=4)
    view = take_snapshot(store, model=MODEL)
    report = replay_snapshot(store, view.id, trust_artifacts=True)
    assert report.divergence.compared == report.divergence.rows > 0
    assert (report.divergence.diverged, report.divergence.max_abs_diff) == (0, 0.0)
    assert report.reproduced
    assert report.environment_changes == ()
    assert report.version == "v1"
    with pytest.raises(ArtifactError, match="pickle"):
        replay_snapshot(store, view.id[:12])


def test_replay_flags_outputs_the_artifact_does_not_give(
    migrated_url: str, store: Store, world: World
) -> None:
    # What served as v1 was not the registered v1: it always approved.
    serve(migrated_url, world, n=400, shift=0.0, seed=5, predict=lambda row: 1, model_version="v1")
    view = take_snapshot(store, model=MODEL)
    report = replay_snapshot(store, view.id, trust_artifacts=True)
    divergence = report.divergence
    # The real model rejects about half of these rows; every rejection is a divergence.
    assert 0 < divergence.diverged < divergence.compared
    assert divergence.share == divergence.diverged / divergence.compared
    assert divergence.max_abs_diff == 1.0
    assert all(e["recorded"] == 1 and e["replayed"] == 0 for e in divergence.examples)
    assert not report.reproduced


def test_replay_reports_every_environment_difference(
    migrated_url: str, store: Store, world: World
) -> None:
    serve(migrated_url, world, n=200, shift=0.0, seed=6)
    view = take_snapshot(store, model=MODEL)
    now = copy.deepcopy(_environment(store, view.manifest))
    now["distributions"]["numpy"] = "0.0.1"
    now["distributions"]["brand-new-lib"] = "1.0"
    del now["distributions"]["scikit-learn"]
    now["python"]["version"] = "3.99.0"
    report = replay_snapshot(store, view.id, trust_artifacts=True, environment=now)
    changes = {(c.kind, c.name): (c.before, c.after) for c in report.environment_changes}
    assert changes[("changed", "distribution:numpy")][1] == "0.0.1"
    assert ("added", "distribution:brand-new-lib") in changes
    assert ("removed", "distribution:scikit-learn") in changes
    assert changes[("changed", "python.version")][1] == "3.99.0"
    assert len(changes) == 4
    assert report.reproduced  # the outputs did not depend on the stand-in environment


def test_without_a_stored_reference_the_output_column_is_named_by_hand(
    migrated_url: str, world: World
) -> None:
    bare = Store.from_url(migrated_url)
    try:
        register(bare, world, save=False)
        serve(migrated_url, world, n=300, shift=0.0, seed=9)
        with bare.engine.begin() as connection:  # as windows sent over HTTP before any reference
            connection.execute(text('DELETE FROM "references"'))
        view = take_snapshot(bare, model=MODEL)
        unknown = replay_snapshot(bare, view.id, trust_artifacts=True)
        assert (unknown.reproduced, unknown.divergence.compared) == (None, 0)
        assert unknown.divergence.rows > 0
        assert "--prediction" in unknown.notes[0]
        named = replay_snapshot(bare, view.id, trust_artifacts=True, prediction="approve")
        assert named.reproduced is True
        assert named.divergence.compared == named.divergence.rows
    finally:
        bare.dispose()
