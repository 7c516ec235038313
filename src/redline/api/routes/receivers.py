"""Alert receivers: Alertmanager webhooks and PagerDuty Events v2, filed as signals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.exceptions import RequestValidationError

from redline.api.auth import Responder, actor_of
from redline.api.context import ContextDep
from redline.api.errors import ERROR_RESPONSES
from redline.api.schemas_receivers import (
    AlertmanagerReceiptRead,
    AlertmanagerWebhookCreate,
    AlertReceiptRead,
    PagerDutyEventCreate,
    PagerDutyReceiptRead,
)
from redline.services.receiver_alerts import pagerduty_dedup_key
from redline.services.receivers import (
    AlertReceipt,
    ReceiverInputError,
    receive_alertmanager,
    receive_pagerduty,
)

__all__ = ["ModelParam", "router"]

router = APIRouter(prefix="/receivers", tags=["receivers"], responses=ERROR_RESPONSES)

ModelParam = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x1f]+$",
        description="The model of alerts that carry no `model` label (custom_details.model).",
    ),
]
_UPSTREAM = (
    " Signals are triaged like monitor signals, under the default severity policy; an "
    "upstream resolve or acknowledge is stored and put on the incident's timeline but never "
    "changes the incident. Repeats of an alert event are answered and change nothing."
)


def _read(receipt: AlertReceipt) -> AlertReceiptRead:
    return AlertReceiptRead(
        receipt=receipt.receipt,
        model=receipt.model,
        status=receipt.status,
        duplicate=receipt.duplicate,
        signal_id=receipt.signal_id,
        incident=receipt.incident,
    )


def _invalid(exc: ReceiverInputError) -> RequestValidationError:
    """A request that names no model is invalid input, shaped like any other 422."""
    return RequestValidationError([{"loc": exc.loc, "msg": str(exc), "type": "value_error"}])


@router.post(
    "/alertmanager",
    response_model=AlertmanagerReceiptRead,
    description="Alertmanager's webhook (`webhook_configs`, payload version 4)." + _UPSTREAM,
)
def alertmanager_webhook(
    body: AlertmanagerWebhookCreate,
    context: ContextDep,
    token: Responder,
    model: ModelParam = None,
) -> AlertmanagerReceiptRead:
    """File each alert of an Alertmanager notification once (by fingerprint and start)."""
    try:
        receipts = receive_alertmanager(
            context.store,
            payload=body.model_dump(),
            actor=actor_of(token),
            model=model,
            plan=context.plan,
        )
    except ReceiverInputError as exc:
        raise _invalid(exc) from None
    context.routes.notify()  # triage may have contained an incident
    stored = sum(not r.duplicate for r in receipts)
    return AlertmanagerReceiptRead(
        received=len(receipts),
        stored=stored,
        duplicates=len(receipts) - stored,
        alerts=[_read(r) for r in receipts],
    )


@router.post(
    "/pagerduty",
    response_model=PagerDutyReceiptRead,
    status_code=status.HTTP_202_ACCEPTED,
    description=(
        "A PagerDuty Events API v2 event, as sent to `/v2/enqueue`; a resolve or acknowledge "
        "finds its model through the trigger with the same dedup_key." + _UPSTREAM
    ),
)
def pagerduty_event(
    body: PagerDutyEventCreate,
    context: ContextDep,
    token: Responder,
    model: ModelParam = None,
) -> PagerDutyReceiptRead:
    """File a PagerDuty event once per dedup_key and action."""
    event = body.model_dump(by_alias=True, exclude={"routing_key"})
    try:
        receipt = receive_pagerduty(
            context.store, event=event, actor=actor_of(token), model=model, plan=context.plan
        )
    except ReceiverInputError as exc:
        raise _invalid(exc) from None
    context.routes.notify()
    return PagerDutyReceiptRead(
        status="success",
        message="Event processed",
        dedup_key=pagerduty_dedup_key(event),
        alert=_read(receipt),
    )
