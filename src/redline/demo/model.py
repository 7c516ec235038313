"""The demo's models: a gradient-boosted delay classifier, a broken retrain, and the rules."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from redline.demo.data import CATEGORICAL, FEATURES, TARGET

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "LATE_CARRIERS",
    "LATE_HOUR",
    "DelayModel",
    "Scored",
    "SlowModel",
    "confidence_of",
    "rule_fallback",
    "save_model",
    "train_model",
]

#: Carriers more than 30% of whose departures left late in January–April 2013.
LATE_CARRIERS = frozenset({"EV", "YV"})
#: From this scheduled hour on, delays have piled up through the day.
LATE_HOUR = 17

Matrix = np.ndarray[Any, np.dtype[np.float64]]


class Scored(int):
    """A class label (1 delayed, 0 not) that carries the model's confidence in it.

    It is the label wherever an int is expected (monitors, JSON, canaries); a Guard reads
    :attr:`confidence` through :func:`confidence_of` to hold unsure answers for review.
    """

    confidence: float

    def __new__(cls, label: int, confidence: float) -> Scored:
        scored = super().__new__(cls, label)
        scored.confidence = confidence
        return scored

    def __getnewargs__(self) -> tuple[int, float]:  # type: ignore[override]
        return int(self), self.confidence


def confidence_of(value: Any) -> float:
    """How sure the model was of ``value``: a :class:`Scored` label's, else certain (1.0)."""
    return float(getattr(value, "confidence", 1.0))


def rule_fallback(row: Mapping[str, Any]) -> int:
    """Delayed (1) when leaving at 17:00 or later or with an often-late carrier; else 0."""
    return int(int(row["hour"]) >= LATE_HOUR or row["carrier"] in LATE_CARRIERS)


class DelayModel:
    """A fitted classifier as a picklable per-row callable: a flight's dict in, 1 (delayed) or 0."""

    def __init__(self, estimator: Any, vocab: Mapping[str, Sequence[str]], *, note: str) -> None:
        self.estimator = estimator
        self.codes = {name: {v: float(i) for i, v in enumerate(vocab[name])} for name in vocab}
        self.note = note

    def encode(self, columns: Mapping[str, Sequence[Any]]) -> Matrix:
        """The feature matrix: numbers as they are, categories as codes (unknown ones missing)."""
        out = []
        for name in FEATURES:
            codes = self.codes.get(name)
            values = columns[name]
            if codes is None:
                out.append(np.asarray(values, dtype=np.float64))
            else:
                out.append(np.array([codes.get(str(v), np.nan) for v in values], np.float64))
        return np.column_stack(out)

    def __call__(self, row: Mapping[str, Any]) -> Scored:
        features = self.encode({name: [row.get(name)] for name in FEATURES})
        probabilities = self.estimator.predict_proba(features)[0]
        best = int(np.argmax(probabilities))
        return Scored(int(self.estimator.classes_[best]), float(probabilities[best]))

    def predict_many(self, columns: Mapping[str, Sequence[Any]]) -> list[int]:
        """Predictions for whole columns at once (for the reference profile)."""
        return [int(v) for v in self.estimator.predict(self.encode(columns))]


def train_model(
    frame: pd.DataFrame, *, seed: int, shuffle_labels: bool = False, max_iter: int = 80
) -> DelayModel:
    """Fit gradient-boosted trees on ``frame``; ``shuffle_labels`` reproduces a broken label join."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]

    vocab = {name: sorted(str(v) for v in frame[name].unique()) for name in CATEGORICAL}
    labels = frame[TARGET].to_numpy()
    if shuffle_labels:
        labels = np.random.default_rng(seed).permutation(labels)
    estimator = HistGradientBoostingClassifier(
        max_iter=max_iter,
        categorical_features=[name in CATEGORICAL for name in FEATURES],
        class_weight="balanced",  # a fifth of flights are late: weigh both classes equally
        random_state=seed,
    )
    note = "labels shuffled by a broken join" if shuffle_labels else "trained on Jan-Apr 2013"
    model = DelayModel(estimator, vocab, note=note)
    estimator.fit(model.encode({name: frame[name].tolist() for name in FEATURES}), labels)
    return model


def save_model(model: DelayModel, path: Path) -> Path:
    """Write ``model`` with joblib (a pickle: load it only with trust, as the demo built it)."""
    import joblib  # type: ignore[import-untyped]

    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)
    return path


class SlowModel:
    """Wraps a model; once ``slow`` is set, a share of calls first wait ``delay_s`` (a slow disk)."""

    def __init__(
        self, model: Callable[[Any], Any], *, share: float, delay_s: float, seed: int
    ) -> None:
        self.model = model
        self.share = share
        self.delay_s = delay_s
        self.slow = False
        self._random = random.Random(seed)

    def __call__(self, row: Any) -> Any:
        if self.slow and self._random.random() < self.share:
            time.sleep(self.delay_s)
        return self.model(row)
