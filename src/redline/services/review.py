"""The review queue: predictions held for people, whose decisions become labels."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from redline.errors import RedlineError
from redline.services.chains import record_audit, record_event
from redline.store import (
    ReviewItemChanges,
    ReviewItemRow,
    Session,
    Store,
    add_labels,
    add_review_item,
    count_review_items,
    get_incident,
    get_review_item,
    list_review_items,
    save_review_item,
)

__all__ = [
    "ReviewDecision",
    "ReviewError",
    "ReviewItem",
    "ReviewPage",
    "ReviewRequest",
    "decide_review",
    "list_review_page",
    "oldest_pending_review_in",
    "queue_for_review",
    "queue_for_review_in",
]


class ReviewError(RedlineError):
    """A review item is unknown, already decided, or the decision is incomplete."""


class ReviewDecision(StrEnum):
    """What a reviewer decides about a held prediction."""

    ACCEPT = "accept"  # the model was right: its output is the label
    OVERRIDE = "override"  # the model was wrong: the reviewer's output is the label
    REJECT = "reject"  # no answer should be served: a label only if the reviewer gives one
    ESCALATE = "escalate"  # not for this reviewer: no label, noted on the linked incident


#: Each decision's label (and final output) from (item, reviewer's output); None: no label.
LABEL_OF: Mapping[ReviewDecision, Callable[[ReviewItemRow, Any], Any]] = {
    ReviewDecision.ACCEPT: lambda row, given: row.output,
    ReviewDecision.OVERRIDE: lambda row, given: given,
    ReviewDecision.REJECT: lambda row, given: given,
    ReviewDecision.ESCALATE: lambda row, given: None,
}
#: Whether each decision needs (True), refuses (False) or may take (None) the reviewer's output.
FINAL_OUTPUT = {"accept": False, "override": True, "reject": None, "escalate": False}


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """A prediction the Guard held for review, with why and how sure the model was."""

    request_id: str
    reason: str
    input: Any
    output: Any
    confidence: float | None = None
    threshold: float | None = None
    incident: str | None = None  # the key of the incident the hold belongs to

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReviewRequest:
        """From a Guard queue entry (``row``/``value`` stand for ``input``/``output``)."""
        if "request_id" not in data:
            raise ReviewError(f"a review item needs a request_id; got keys {sorted(data)}")
        return cls(
            request_id=str(data["request_id"]),
            reason=str(data.get("reason") or "review"),
            input=data.get("input", data.get("row")),
            output=data.get("output", data.get("value")),
            confidence=data.get("confidence"),
            threshold=data.get("threshold"),
            incident=data.get("incident"),
        )


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A review item as people see it."""

    id: int
    model: str
    request_id: str
    reason: str
    confidence: float | None
    threshold: float | None
    input: Any
    output: Any
    status: str
    decision: str | None
    final_output: Any
    reviewer: str | None
    incident: str | None
    created_at: datetime
    decided_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (times in ISO 8601)."""
        data = asdict(self)
        for name in ("created_at", "decided_at"):
            data[name] = data[name].isoformat() if data[name] is not None else None
        return data


def _view(session: Session, row: ReviewItemRow) -> ReviewItem:
    incident = None
    if row.incident_id is not None:
        found = get_incident(session, incident_id=row.incident_id)
        incident = found.key if found is not None else None
    return ReviewItem(
        *(row.id, row.model, row.request_id, row.reason, row.confidence, row.threshold),
        *(row.input, row.output, row.status, row.decision, row.final_output, row.reviewer),
        *(incident, row.created_at, row.decided_at),
    )


def queue_for_review_in(
    session: Session,
    *,
    model: str,
    items: Iterable[ReviewRequest | Mapping[str, Any]],
    now: datetime | None = None,
) -> list[ReviewItemRow]:
    """Queue held predictions for review, linked to their incident when a key is given."""
    rows = []
    for item in items:
        request = item if isinstance(item, ReviewRequest) else ReviewRequest.from_dict(item)
        incident = None if request.incident is None else get_incident(session, key=request.incident)
        if request.incident is not None and incident is None:
            raise ReviewError(f"review of {request.request_id!r}: no incident {request.incident!r}")
        row = add_review_item(
            session,
            model=model,
            request_id=request.request_id,
            reason=request.reason,
            input=request.input,
            output=request.output,
            confidence=request.confidence,
            threshold=request.threshold,
            incident_id=None if incident is None else incident.id,
            created_at=now or datetime.now(UTC),
        )
        rows.append(row)
    return rows


def queue_for_review(
    store: Store,
    *,
    model: str,
    items: Iterable[ReviewRequest | Mapping[str, Any]],
    now: datetime | None = None,
) -> list[ReviewItem]:
    """Queue held predictions for review in one transaction."""
    with store.session() as session:
        rows = queue_for_review_in(session, model=model, items=items, now=now)
        return [_view(session, row) for row in rows]


@dataclass(frozen=True, slots=True)
class ReviewPage:
    """The first ``len(items)`` review items of a filter, and how many match it in all."""

    items: list[ReviewItem]
    total: int

    @property
    def truncated(self) -> bool:
        """Whether more items match than are listed."""
        return self.total > len(self.items)


def list_review_page(
    store: Store, *, status: str | None = "pending", model: str | None = None, limit: int = 100
) -> ReviewPage:
    """The oldest ``limit`` review items and the exact count, read in one transaction."""
    with store.reading() as session:
        rows = list_review_items(session, status=status, model=model, limit=limit)
        total = count_review_items(session, status=status, model=model)
        return ReviewPage([_view(session, row) for row in rows], max(total, len(rows)))


def _decision(value: str) -> ReviewDecision:
    try:
        return ReviewDecision(value)
    except ValueError:
        choices = ", ".join(d.value for d in ReviewDecision)
        raise ReviewError(f"unknown review decision {value!r}; choose one of {choices}") from None


def _check(item_id: int, chosen: ReviewDecision, reviewer: str, final_output: Any) -> None:
    if not reviewer.strip():
        raise ReviewError(f"review item {item_id}: say who decides (reviewer)")
    rule = FINAL_OUTPUT[chosen]
    if rule and final_output is None:
        raise ReviewError(
            f"review item {item_id}: {chosen.value} needs the correct output (final_output, "
            "'--output JSON' on the command line)"
        )
    if rule is False and final_output is not None:
        raise ReviewError(
            f"review item {item_id}: {chosen.value} takes no output; override gives the correct one"
        )


def decide_review(
    store: Store,
    *,
    item_id: int,
    decision: ReviewDecision | str,
    reviewer: str,
    final_output: Any = None,
    now: datetime | None = None,
) -> ReviewItem:
    """Record a reviewer's decision once; accept, override and reject-with-output become labels."""
    chosen, at = _decision(decision), now or datetime.now(UTC)
    _check(item_id, chosen, reviewer, final_output)
    actor = reviewer if ":" in reviewer else f"person:{reviewer}"
    with store.session() as session:
        row = get_review_item(session, item_id=item_id, lock=True)
        if row is None:
            raise ReviewError(f"no review item {item_id}")
        if row.status == "decided":
            raise ReviewError(
                f"review item {item_id} was already decided: {row.decision} by {row.reviewer} "
                f"at {row.decided_at.isoformat() if row.decided_at else '?'}"
            )
        label = LABEL_OF[chosen](row, final_output)
        if label is not None:
            labels = [(row.request_id, label, at)]
            add_labels(session, model=row.model, labels=labels, source="review")
        changes: ReviewItemChanges = {"status": "decided", "decision": chosen.value}
        changes |= {"final_output": label, "reviewer": reviewer, "decided_at": at}
        row = save_review_item(session, item_id=item_id, **changes)
        _record(session, row, label, actor=actor, at=at)
        return _view(session, row)


def _record(session: Session, row: ReviewItemRow, label: Any, *, actor: str, at: datetime) -> None:
    """Write the decision to the audit log and an escalation to the incident's timeline."""
    if row.decision == ReviewDecision.ESCALATE and row.incident_id is not None:
        noted = {"review_item": row.id, "request_id": row.request_id, "reason": row.reason}
        kind = "review_escalated"
        record_event(
            session, incident_id=row.incident_id, at=at, actor=actor, kind=kind, details=noted
        )
    summary = {"decision": row.decision, "model": row.model, "request_id": row.request_id}
    outcome = {"incident_id": row.incident_id, "label": label, "labelled": label is not None}
    target, details = f"review_item:{row.id}", summary | outcome
    record_audit(
        session, at=at, actor=actor, action="review_decided", target=target, details=details
    )


def oldest_pending_review_in(session: Session, *, model: str) -> datetime | None:
    """When the oldest review of ``model`` still waiting for a person was queued, or None."""
    oldest = list_review_items(session, status="pending", model=model, limit=1)
    return oldest[0].created_at if oldest else None
