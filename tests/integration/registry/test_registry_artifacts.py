"""Artifacts: sha256 checked before loading, pickle only when trusted, rows and batches served."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from registry_models import Models
from sklearn.linear_model import LogisticRegression

from redline.errors import RedlineError
from redline.services.artifacts import (
    ArtifactError,
    describe_artifact,
    is_reference,
    load_artifact,
    sha256_of,
)


def test_sha256_of_is_the_file_hash(models: Models) -> None:
    assert sha256_of(models.v1_path) == hashlib.sha256(models.v1_path.read_bytes()).hexdigest()


def test_one_changed_byte_refuses_to_load(models: Models, tmp_path: Path) -> None:
    path = tmp_path / "model.joblib"
    shutil.copy(models.v1_path, path)
    registered = sha256_of(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError) as caught:
        load_artifact(path, sha256=registered, trust=True)
    message = str(caught.value)
    assert registered in message
    assert sha256_of(path) in message
    assert isinstance(caught.value, RedlineError)


def test_joblib_is_refused_without_trust(models: Models) -> None:
    with pytest.raises(ArtifactError, match=r"credit-v1\.joblib runs code inside it \(pickle\)"):
        load_artifact(models.v1_path, sha256=sha256_of(models.v1_path))


def test_a_loaded_estimator_answers_rows_and_batches_like_itself(models: Models) -> None:
    for version, path in (("v1", models.v1_path), ("v2", models.v2_path)):
        predictor = load_artifact(path, sha256=sha256_of(path), trust=True)
        served = [predictor(row) for row in models.rows]
        assert served == models.own(version)
        assert all(type(value) is int for value in served)
        assert predictor.batch(models.rows) == models.own(version)
        assert predictor.batch(pd.DataFrame(models.rows)) == models.own(version)
    assert models.own("v1") != models.own("v2")


def test_an_estimator_fitted_without_names_takes_the_row_order(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    features = rng.normal(size=(500, 2))
    model = LogisticRegression().fit(features, (features[:, 0] > features[:, 1]).astype(int))
    path = tmp_path / "plain.pkl"
    joblib.dump(model, path)
    predictor = load_artifact(path, sha256=sha256_of(path), trust=True)
    assert predictor({"a": 2.0, "b": -2.0}) == 1
    assert predictor({"a": -2.0, "b": 2.0}) == 0
    assert predictor.batch({"a": [2.0, -2.0], "b": [-2.0, 2.0]}) == [1, 0]


def test_a_module_function_reference_is_imported_after_its_hash_is_checked() -> None:
    reference = "json:dumps"
    assert is_reference(reference)
    uri, digest = describe_artifact(reference)
    assert (uri, digest) == (reference, hashlib.sha256(reference.encode()).hexdigest())
    predictor = load_artifact(reference, sha256=digest, trust=True)
    assert predictor({"a": 1}) == json.dumps({"a": 1})
    assert predictor.batch([{"a": 1}, {"a": 2}]) == ['{"a": 1}', '{"a": 2}']
    with pytest.raises(ArtifactError, match="sha256 mismatch"):
        load_artifact("json:loads", sha256=digest, trust=True)
    missing = "json:no_such_function"
    with pytest.raises(ArtifactError, match="cannot import 'json:no_such_function'"):
        load_artifact(missing, sha256=describe_artifact(missing)[1], trust=True)


def test_a_module_function_reference_is_not_imported_without_trust(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "planted_model.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef predict(row):\n    return 1\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    reference = "planted_model:predict"
    with pytest.raises(ArtifactError, match="runs its code; pass trust=True"):
        load_artifact(reference, sha256=describe_artifact(reference)[1])
    assert not marker.exists()


def test_unknown_or_missing_artifacts_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "model.txt"
    text.write_text("not a model", encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"unsupported artifact type '\.txt'"):
        describe_artifact(text)
    with pytest.raises(ArtifactError, match="no such artifact file"):
        describe_artifact(tmp_path / "absent.joblib")


def test_optional_formats_say_what_to_install(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x01")
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        with pytest.raises(ArtifactError, match="pip install onnxruntime"):
            load_artifact(path, sha256=sha256_of(path))
    else:
        pytest.skip("onnxruntime is installed; the missing-package message cannot show")
