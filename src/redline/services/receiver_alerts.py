"""Alertmanager alerts and PagerDuty events as redline signals, before anything is stored."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redline.domain import Level, Signal
from redline.errors import RedlineError

__all__ = [
    "DEFAULT_KIND",
    "ExternalAlert",
    "ReceiverInputError",
    "alerts_from_alertmanager",
    "level_of",
    "pagerduty_dedup_key",
    "signal_from_pagerduty",
]

#: The signal kind of an alert that names none (severity policies match it like any other kind).
DEFAULT_KIND = "external_alert"

_LEVELS = {
    "critical": Level.CRITICAL,
    "page": Level.CRITICAL,
    "sev1": Level.CRITICAL,
    "error": Level.ALARM,
    "high": Level.ALARM,
    "major": Level.ALARM,
    "sev2": Level.ALARM,
}
_NAME_LIMIT = 200
_COLUMN_LIMIT = 500
#: Alertmanager's "not set" end time; a firing alert carries it, or a time in the future.
_NO_TIME = datetime(1, 1, 1, tzinfo=UTC)


class ReceiverInputError(RedlineError):
    """An alert redline cannot file (no model, or one no store keeps); ``loc`` says where."""

    def __init__(self, message: str, *, loc: Sequence[str | int] = ("body",)) -> None:
        super().__init__(message)
        self.loc = tuple(loc)


@dataclass(frozen=True)
class ExternalAlert:
    """One upstream alert event, ready to store: ``receipt`` makes its repeats no-ops."""

    source: str
    receipt: str
    status: str  # firing | resolved | acknowledged
    signal: Signal

    @property
    def model(self) -> str:
        """The model the alert is about."""
        return self.signal.model or ""


def level_of(severity: object) -> Level:
    """critical/page → critical, error/high/major → alarm, anything else → warning."""
    return _LEVELS.get(str(severity or "").strip().lower(), Level.WARNING)


def _model(candidates: Sequence[object], loc: Sequence[str | int], hint: str) -> str:
    for value in candidates:
        if isinstance(value, str) and value:
            if len(value) > _NAME_LIMIT or any(ord(c) < 0x20 for c in value):
                raise ReceiverInputError(
                    "the model name must be 1-200 characters without control characters",
                    loc=loc,
                )
            return value
    raise ReceiverInputError(f"the alert names no model: {hint}", loc=loc)


def _text(value: object, limit: int) -> str | None:
    return str(value)[:limit] if isinstance(value, str) and value else None


def _number(value: object, default: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


def _labels_fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's own fingerprint is a label hash too; this one stands in when it is absent."""
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]


def _signal(
    monitor: str,
    names: Mapping[str, Any],
    numbers: Mapping[str, Any],
    *,
    statistic: str,
    status: str,
    severity: Any,
    window: tuple[datetime | None, datetime | None],
    model: str,
    evidence: dict[str, Any],
) -> Signal:
    """The signal of an outside alert: kind and column from ``names`` (labels or details), value
    and threshold from ``numbers`` (a firing alert without a value counts 1, others 0)."""
    return Signal(
        monitor=monitor,
        kind=_text(names.get("kind"), _NAME_LIMIT) or DEFAULT_KIND,
        column=_text(names.get("feature") or names.get("column"), _COLUMN_LIMIT),
        statistic=statistic,
        value=_number(numbers.get("value"), 1.0 if status == "firing" else 0.0),
        threshold=_number(numbers.get("threshold"), 0.0),
        level=level_of(severity),
        window_start=window[0],
        window_end=window[1],
        model=model,
        evidence=evidence,
    )


def _alertmanager_alert(
    alert: Mapping[str, Any], payload: Mapping[str, Any], index: int, model: str | None
) -> ExternalAlert:
    labels: dict[str, str] = dict(alert.get("labels") or {})
    annotations: dict[str, str] = dict(alert.get("annotations") or {})
    common = payload.get("commonLabels") or {}
    name = _model(
        [labels.get("model"), common.get("model"), model],
        ("body", "alerts", index, "labels", "model"),
        "add a 'model' label to the alert rule or '?model=<name>' to the webhook URL",
    )
    status = str(alert.get("status") or payload.get("status") or "firing")
    starts: datetime = alert["startsAt"]
    ends: datetime | None = alert.get("endsAt")
    ended = ends if status == "resolved" and ends is not None and ends > _NO_TIME else None
    fingerprint = alert.get("fingerprint") or _labels_fingerprint(labels)
    receipt = f"alertmanager:{fingerprint}:{starts.isoformat()}:{status}"
    evidence = {
        "source": "alertmanager",
        "receipt": receipt,
        "fingerprint": fingerprint,
        "labels": labels,
        "annotations": annotations,
        "starts_at": starts.isoformat(),
        "ends_at": ended.isoformat() if ended else None,
        "generator_url": alert.get("generatorURL"),
        "receiver": payload.get("receiver"),
        "external_url": payload.get("externalURL"),
    }
    signal = _signal(
        "alertmanager",
        labels,
        annotations,
        statistic=_text(labels.get("alertname"), _NAME_LIMIT) or "alert",
        status=status,
        severity=labels.get("severity"),
        window=(starts, ended),
        model=name,
        evidence=evidence,
    )
    return ExternalAlert("alertmanager", receipt, status, signal)


def alerts_from_alertmanager(
    payload: Mapping[str, Any], *, model: str | None = None
) -> list[ExternalAlert]:
    """Every alert of an Alertmanager webhook payload (version 4) as a signal to store."""
    alerts = payload.get("alerts") or []
    return [_alertmanager_alert(a, payload, i, model) for i, a in enumerate(alerts)]


def pagerduty_dedup_key(event: Mapping[str, Any]) -> str:
    """The event's dedup_key, or one derived from its payload (so repeats still deduplicate)."""
    given = event.get("dedup_key")
    if given:
        return str(given)
    body = json.dumps(event.get("payload") or {}, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def signal_from_pagerduty(
    event: Mapping[str, Any], *, model: str | None, known_model: str | None = None
) -> ExternalAlert:
    """A PagerDuty Events v2 event as a signal; ``known_model`` is its trigger's model."""
    payload: Mapping[str, Any] = event.get("payload") or {}
    details = payload.get("custom_details")
    details = details if isinstance(details, dict) else {"details": details} if details else {}
    action = str(event["event_action"])
    name = _model(
        [details.get("model"), model, known_model],
        ("body", "payload", "custom_details", "model"),
        "set payload.custom_details.model or add '?model=<name>' to the events URL",
    )
    dedup_key = pagerduty_dedup_key(event)
    status = {"trigger": "firing", "resolve": "resolved"}.get(action, "acknowledged")
    at: datetime | None = payload.get("timestamp")
    evidence = {
        "source": "pagerduty",
        "receipt": f"pagerduty:{dedup_key}:{action}",
        "dedup_key": dedup_key,
        "event_action": action,
        **{k: payload.get(k) for k in ("summary", "source", "severity", "component", "group")},
        "class": payload.get("class"),
        "timestamp": at.isoformat() if at else None,
        "custom_details": details,
    }
    signal = _signal(
        "pagerduty",
        details,
        details,
        statistic=_text(payload.get("class"), _NAME_LIMIT) or "event",
        status=status,
        severity=payload.get("severity"),
        window=(at, None),
        model=name,
        evidence=evidence,
    )
    return ExternalAlert("pagerduty", str(evidence["receipt"]), status, signal)
