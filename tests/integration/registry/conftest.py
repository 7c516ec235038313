"""Two real scikit-learn models saved with joblib (v1 good, v2 trained on shuffled labels)."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
from registry_models import Models, features
from sklearn.linear_model import LogisticRegression

import redline


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> Models:
    """v1 learns the rule; v2 is deliberately bad: the same features, labels permuted."""
    train = features(4_000, seed=11)
    labels = (train["income"] - 0.5 * train["debt"] > 0).astype(int).to_numpy()
    v1 = LogisticRegression().fit(train, labels)
    bad = np.random.default_rng(12).permutation(labels)
    v2 = LogisticRegression().fit(train[["debt", "income"]], bad)  # other column order too
    directory = tmp_path_factory.mktemp("artifacts")
    v1_path, v2_path = directory / "credit-v1.joblib", directory / "credit-v2.joblib"
    joblib.dump(v1, v1_path)
    joblib.dump(v2, v2_path)
    reference = redline.fit_reference(train, window_sizes=[100, 1_000])
    rows = features(200, seed=13).to_dict(orient="records")
    return Models(v1, v2, v1_path, v2_path, reference, rows)
