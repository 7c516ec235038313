"""Bodies of the alert receivers: Alertmanager's webhook (version 4) and PagerDuty Events v2.

Fields redline does not use are ignored (senders add some over time), but every one is bounded
so a bad payload is a 422 that changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from redline.api.schemas import UtcTime, check_json

__all__ = [
    "MAX_ALERTS",
    "AlertReceiptRead",
    "AlertmanagerAlertCreate",
    "AlertmanagerReceiptRead",
    "AlertmanagerWebhookCreate",
    "PagerDutyEventCreate",
    "PagerDutyPayloadCreate",
    "PagerDutyReceiptRead",
]

#: Most alerts one webhook may carry (Alertmanager's ``max_alerts`` keeps a group under it).
MAX_ALERTS = 1000

_Short = Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00]*$")]
_Long = Annotated[str, StringConstraints(max_length=10_000, pattern=r"^[^\x00]*$")]
_Url = Annotated[str, StringConstraints(max_length=2_000, pattern=r"^[^\x00]*$")]
_LabelName = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]+$")]
_LabelValue = Annotated[str, StringConstraints(max_length=1_000, pattern=r"^[^\x00]*$")]
Labels = Annotated[dict[_LabelName, _LabelValue], Field(max_length=64)]
Annotations = Annotated[dict[_LabelName, _Long], Field(max_length=64)]


class _Upstream(BaseModel):
    """Base of the receivers' bodies: unknown fields ignored, JSON the store can keep."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        check_json(data)
        return data


class AlertmanagerAlertCreate(_Upstream):
    """One alert of the group."""

    status: Literal["firing", "resolved"]
    labels: Labels = Field(default_factory=dict)
    annotations: Annotations = Field(default_factory=dict)
    startsAt: UtcTime  # noqa: N815 - Alertmanager's field names
    endsAt: UtcTime | None = None  # noqa: N815
    generatorURL: _Url = ""  # noqa: N815
    fingerprint: Annotated[str, StringConstraints(max_length=200, pattern=r"^[^\x00-\x1f]*$")] = ""


class AlertmanagerWebhookCreate(_Upstream):
    """Alertmanager's webhook payload (version 4): a group of alerts sent together."""

    version: Literal["4"] = "4"
    receiver: _Short = ""
    status: Literal["firing", "resolved"]
    alerts: Annotated[list[AlertmanagerAlertCreate], Field(max_length=MAX_ALERTS)]
    groupLabels: Labels = Field(default_factory=dict)  # noqa: N815
    commonLabels: Labels = Field(default_factory=dict)  # noqa: N815
    commonAnnotations: Annotations = Field(default_factory=dict)  # noqa: N815
    externalURL: _Url = ""  # noqa: N815
    groupKey: _Url = ""  # noqa: N815
    truncatedAlerts: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0  # noqa: N815


class PagerDutyPayloadCreate(_Upstream):
    """What a PagerDuty trigger says about the problem."""

    summary: Annotated[str, StringConstraints(min_length=1, max_length=1024, pattern=r"^[^\x00]*$")]
    source: Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00]*$")]
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: UtcTime | None = None
    component: _Short | None = None
    group: _Short | None = None
    class_: Annotated[_Short | None, Field(alias="class")] = None
    custom_details: Annotated[dict[_LabelName, Any], Field(max_length=100)] | _Long | None = None


class PagerDutyEventCreate(_Upstream):
    """A PagerDuty Events API v2 event (``/v2/enqueue``); the routing key is never stored."""

    routing_key: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: (
        Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00]*$")]
        | None
    ) = None
    payload: PagerDutyPayloadCreate | None = None
    client: _Short | None = None
    client_url: _Url | None = None

    @model_validator(mode="after")
    def _complete(self) -> PagerDutyEventCreate:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("a trigger event needs a payload (summary, source, severity)")
        if self.event_action != "trigger" and self.dedup_key is None:
            raise ValueError(f"an {self.event_action} event needs the trigger's dedup_key")
        return self


class AlertReceiptRead(BaseModel):
    """What became of one alert: filed now, or a repeat of one filed before."""

    receipt: str
    model: str
    status: str
    duplicate: bool
    signal_id: int | None
    incident: str | None


class AlertmanagerReceiptRead(BaseModel):
    """The webhook's alerts, each filed once."""

    received: int
    stored: int
    duplicates: int
    alerts: list[AlertReceiptRead]


class PagerDutyReceiptRead(BaseModel):
    """PagerDuty's own answer (status, message, dedup_key) with what redline made of it."""

    status: str
    message: str
    dedup_key: str
    alert: AlertReceiptRead
