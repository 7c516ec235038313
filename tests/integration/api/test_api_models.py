"""Models, references, versions and deployments over HTTP."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from api_support import MODEL, Api, fit_reference, window_payload

from redline.profiles.reference import Reference


@pytest.fixture(scope="module")
def reference() -> Reference:
    """The model's reference."""
    return fit_reference()


def test_models_list_every_model_seen_with_its_route(api: Api, reference: Reference) -> None:
    with api.client("admin") as client:
        assert client.get("/api/v1/models").json() == []
        assert client.get(f"/api/v1/models/{MODEL}").status_code == 404
        client.post(
            f"/api/v1/models/{MODEL}/windows",
            json={"windows": [{"window": window_payload(reference)}]},
        )
        client.post("/api/v1/models/fraud/actions", json={"type": "kill_switch"})
        models = client.get("/api/v1/models").json()
    assert [m["name"] for m in models] == [MODEL, "fraud"]
    credit, fraud = models
    assert (credit["last_window_rows"], credit["route"]["revision"]) == (400, 0)
    assert (fraud["last_window_rows"], fraud["route"]["mode"]) == (None, "fallback")


def test_put_and_get_a_reference_body_or_a_saved_file(
    api: Api, reference: Reference, tmp_path: Path
) -> None:
    saved = json.loads(reference.save(tmp_path / "ref.json").read_text())
    with api.client("admin") as client:
        missing = client.get(f"/api/v1/models/{MODEL}/reference")
        put = client.put(f"/api/v1/models/{MODEL}/reference", json=reference.to_dict())
        again = client.put("/api/v1/models/other/reference", json=saved)
        got = client.get(f"/api/v1/models/{MODEL}/reference").json()
        model = client.get(f"/api/v1/models/{MODEL}").json()
    assert missing.status_code == 404
    assert put.status_code == 200
    assert put.json()["content_hash"] == reference.content_hash == again.json()["content_hash"]
    assert Reference.from_dict(got["reference"]).content_hash == reference.content_hash
    assert model["reference_hash"] == reference.content_hash


@pytest.mark.parametrize(
    "body",
    [{}, {"columns": "nope"}, {"format": "redline-reference", "reference": 3}],
    ids=["empty", "bad-columns", "bad-envelope"],
)
def test_a_malformed_reference_is_a_400(api: Api, body: dict[str, object]) -> None:
    with api.client("admin") as client:
        response = client.put(f"/api/v1/models/{MODEL}/reference", json=body)
    assert response.status_code == 400
    assert "not a redline reference" in response.json()["detail"]


def test_references_need_an_admin(api: Api, reference: Reference) -> None:
    with api.client("responder") as client:
        response = client.put(f"/api/v1/models/{MODEL}/reference", json=reference.to_dict())
    assert response.status_code == 403


def test_register_with_a_checksum_then_deploy(api: Api, tmp_path: Path) -> None:
    artifact = tmp_path / "model.pkl"
    artifact.write_bytes(b"not really a model")
    digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
    versions = f"/api/v1/models/{MODEL}/versions"
    with api.client("admin") as client:
        registered = client.post(
            versions, json={"version": "v1", "artifact": str(artifact), "sha256": digest}
        )
        wrong = client.post(
            versions, json={"version": "v2", "artifact": str(artifact), "sha256": "0" * 64}
        )
        absent = client.post(
            versions, json={"version": "v3", "artifact": str(tmp_path / "none.pkl")}
        )
        artifact.write_bytes(b"changed")
        changed = client.post(versions, json={"version": "v1", "artifact": str(artifact)})
        deployed = client.post(
            f"/api/v1/models/{MODEL}/deployments", json={"version": "v1", "reason": "first"}
        )
        unknown = client.post(
            f"/api/v1/models/{MODEL}/deployments", json={"version": "v9", "reason": "typo"}
        )
        listed = client.get(versions).json()
        history = client.get(f"/api/v1/models/{MODEL}/deployments").json()
        route = client.get(f"/api/v1/models/{MODEL}/route").json()
    assert registered.status_code == 201
    assert registered.json()["sha256"] == digest
    assert registered.json()["registered_by"] == "token:admin-test"
    assert wrong.status_code == 400
    assert "not the 000" in wrong.json()["detail"]
    assert absent.status_code == 400
    assert changed.status_code == 409
    assert deployed.status_code == 201
    assert unknown.status_code == 400
    assert [v["version"] for v in listed] == ["v1"]
    assert [(d["version"], d["reason"]) for d in history] == [("v1", "first")]
    assert route["state"]["model_version"] == "v1"
