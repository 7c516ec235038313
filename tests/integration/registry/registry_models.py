"""The models the registry tests serve: fitted estimators, their files, a reference, rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from redline.profiles.reference import Reference


@dataclass(frozen=True)
class Models:
    """The fitted estimators, their joblib files, a reference and rows to serve."""

    v1: LogisticRegression
    v2: LogisticRegression
    v1_path: Path
    v2_path: Path
    reference: Reference
    rows: list[dict[str, Any]]

    def own(self, version: str, rows: list[dict[str, Any]] | None = None) -> list[int]:
        """What the estimator itself answers for ``rows``, in its own column order."""
        model = self.v1 if version == "v1" else self.v2
        frame = pd.DataFrame(rows or self.rows)[list(model.feature_names_in_)]
        return [int(v) for v in model.predict(frame)]


def features(n: int, seed: int) -> pd.DataFrame:
    """Two standard normal features, ``income`` and ``debt``."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.normal(size=n), "debt": rng.normal(size=n)})
