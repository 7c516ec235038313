"""``GET /models/{model}/series``: stored window statistics over time, downsampled per bucket."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, Field

from redline.api.auth import Viewer
from redline.api.context import StoreDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.params import ModelPath
from redline.services.timeseries import MAX_BUCKETS, RANGES, get_series_set

__all__ = ["BucketRead", "SeriesRead", "SeriesSetRead", "router"]

router = APIRouter(tags=["models"], responses=ERROR_RESPONSES)


class BucketRead(BaseModel):
    """The windows that started in [start, end) and their values' min, max and mean."""

    start: datetime
    end: datetime
    n_windows: int
    low: float
    high: float
    mean: float
    flagged: bool = Field(description="A monitor flagged one of these windows (drift only).")
    window_id: str = Field(description="The window with the highest value.")


class SeriesRead(BaseModel):
    """One metric over the range."""

    metric: str
    label: str
    unit: str
    n_windows: int
    threshold: float | None = Field(description="The threshold stored with the last window.")
    buckets: list[BucketRead]


class SeriesSetRead(BaseModel):
    """The series asked for, the range they cover and the metrics the range offers."""

    model: str
    start: datetime
    end: datetime
    first_window: datetime | None
    last_window: datetime | None
    available: list[str]
    series: list[SeriesRead]


Metric = Annotated[
    list[str],
    Query(
        min_length=1,
        max_length=50,
        description=(
            "Metrics to return (repeat the parameter): rows, errors, latency_p50, latency_p99, "
            "prediction_mean/p10/p50/p90, confidence_mean/p10/p50/p90, drift:<column>, "
            "route:<route>, source:<source>."
        ),
    ),
]


@router.get(
    "/models/{model}/series",
    response_model=SeriesSetRead,
    description=(
        "Values stored with each window (the monitors' results, the profile's counts and "
        "sketches) between `from` and `to` (window starts, UTC), cut into `buckets` equal "
        "spans with the min, max and mean of the windows in each. Without `to` the range "
        "ends with the model's last window; without `from` it spans `range` before that."
    ),
)
def get_series_route(
    model: ModelPath,
    store: StoreDep,
    _: Viewer,
    metric: Metric,
    start: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    end: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    range_: Annotated[Literal["hour", "day", "week"], Query(alias="range")] = "day",
    buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS)] = 240,
) -> SeriesSetRead:
    """Stored window statistics of one model over time."""
    found = get_series_set(
        store,
        model=model,
        metrics=metric,
        start=start,
        end=end,
        last=RANGES[range_],
        buckets=buckets,
    )
    first, last = found.span or (None, None)
    return SeriesSetRead(
        model=model,
        start=found.start,
        end=found.end,
        first_window=first,
        last_window=last,
        available=list(found.available),
        series=[SeriesRead.model_validate(s.to_dict()) for s in found.series],
    )
