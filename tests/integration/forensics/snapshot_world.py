"""A small world for snapshot tests: a deterministic scikit-learn model, registered and serving."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import redline
from redline.profiles.reference import Reference
from redline.services.catalog import save_reference
from redline.services.registry import deploy, register_version
from redline.store import Store

MODEL = "credit"


@dataclass(frozen=True)
class World:
    """The fitted estimator, its joblib file and a reference that names its prediction column."""

    estimator: LogisticRegression
    path: Path
    reference: Reference


def features(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Two normal features, ``income`` (shifted by ``shift``) and ``debt``."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.normal(shift, 1, n), "debt": rng.normal(size=n)})


def build_world(directory: Path) -> World:
    """Fit, save and profile the model once."""
    train = features(3_000, seed=5)
    labels = (train["income"] - 0.5 * train["debt"] > 0).astype(int).to_numpy()
    estimator = LogisticRegression().fit(train, labels)
    path = directory / "credit-v1.joblib"
    joblib.dump(estimator, path)
    columns = {**{c: train[c].to_numpy() for c in train}, "approve": estimator.predict(train)}
    reference = redline.fit_reference(columns, prediction="approve", window_sizes=[200, 1_000])
    return World(estimator, path, reference)


def register(store: Store, world: World, *, save: bool = True) -> None:
    """Save the reference (unless not ``save``), register the artifact as v1 and deploy it."""
    if save:
        save_reference(store, model=MODEL, body=world.reference.to_dict(), actor="ci")
    register_version(store, model=MODEL, version="v1", artifact=world.path, actor="ci")
    deploy(store, model=MODEL, version="v1", actor="alice", reason="launch")


def serve(url: str, world: World, *, n: int, shift: float, seed: int, **guard: Any) -> None:
    """Serve ``n`` rows through a Guard built from the registry, then flush its window."""
    with redline.Guard(
        model=MODEL,
        reference=world.reference,
        store=url,
        trust_artifacts=True,
        window_s=3600,
        route_poll_s=0.05,
        **guard,
    ) as g:
        for row in features(n, seed=seed, shift=shift).to_dict(orient="records"):
            g.predict(row)
        g.flush()
