"""Review decisions: which become labels, what reaches the audit log and the incident timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from labels_data import MODEL, T0, add_hour_window

from redline.domain import Severity, verify_chain
from redline.services.review import (
    ReviewDecision,
    ReviewError,
    ReviewRequest,
    decide_review,
    list_review_page,
    queue_for_review,
)
from redline.store import (
    REVIEW_DECISIONS,
    Store,
    add_incident,
    add_predictions,
    list_audit,
    list_labelled_predictions,
    list_timeline,
)

LATER = T0 + timedelta(days=3)


def _queue(store: Store, *requests: ReviewRequest | dict[str, Any]) -> list[int]:
    return [item.id for item in queue_for_review(store, model=MODEL, items=requests)]


def _request(request_id: str, output: Any = "fraud", incident: str | None = None) -> ReviewRequest:
    return ReviewRequest(
        request_id=request_id,
        reason="low_confidence",
        input={"amount": 950.0},
        output=output,
        confidence=0.52,
        threshold=0.7,
        incident=incident,
    )


def _labels(store: Store) -> dict[str, Any]:
    with store.session() as session:
        return {p.request_id: p.label for p in list_labelled_predictions(session, model=MODEL)}


@pytest.fixture
def served(store: Store) -> Store:
    """Four served predictions the queue's items refer to."""
    with store.session() as session:
        add_hour_window(session, "w1")
        rows = [(f"r{i}", "fraud", "review", T0) for i in range(1, 5)]
        add_predictions(session, model=MODEL, window_id="w1", rows=rows)
    return store


def test_the_service_decisions_are_the_stored_ones() -> None:
    assert tuple(d.value for d in ReviewDecision) == REVIEW_DECISIONS


def test_accept_override_and_reject_become_labels(served: Store) -> None:
    ids = _queue(served, _request("r1"), _request("r2"), _request("r3"), _request("r4"))
    assert [i.request_id for i in list_review_page(served, model=MODEL).items] == [
        "r1",
        "r2",
        "r3",
        "r4",
    ]

    accepted = decide_review(served, item_id=ids[0], decision="accept", reviewer="ann", now=LATER)
    overridden = decide_review(
        served, item_id=ids[1], decision="override", reviewer="bo", final_output="legit", now=LATER
    )
    decide_review(served, item_id=ids[2], decision=ReviewDecision.REJECT, reviewer="ann", now=LATER)
    decide_review(
        served, item_id=ids[3], decision="reject", reviewer="ann", final_output="legit", now=LATER
    )

    assert (accepted.status, accepted.decision, accepted.final_output) == (
        "decided",
        "accept",
        "fraud",
    )
    assert (overridden.reviewer, overridden.decided_at) == ("bo", LATER)
    assert _labels(served) == {"r1": "fraud", "r2": "legit", "r4": "legit"}  # r3: no label
    assert list_review_page(served, model=MODEL).items == []
    assert len(list_review_page(served, status="decided", model=MODEL).items) == 4

    with served.session() as session:
        entries = list_audit(session, target=f"review_item:{ids[1]}")
        chain = list_audit(session)
    (entry,) = entries
    assert (entry.action, entry.actor, entry.at) == ("review_decided", "person:bo", LATER)
    assert entry.details["decision"] == "override"
    assert entry.details["label"] == "legit"
    assert [e.details["labelled"] for e in chain] == [True, True, False, True]
    sealed = [
        (
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "details": e.details,
            },
            e.hash,
        )
        for e in chain
    ]
    assert verify_chain(sealed) is None


def test_override_needs_the_correct_output(served: Store) -> None:
    (item_id,) = _queue(served, _request("r1"))
    with pytest.raises(ReviewError, match="override needs the correct output"):
        decide_review(served, item_id=item_id, decision="override", reviewer="ann")
    assert [i.id for i in list_review_page(served).items] == [item_id]  # still pending


def test_deciding_twice_is_refused(served: Store) -> None:
    (item_id,) = _queue(served, _request("r1"))
    decide_review(served, item_id=item_id, decision="accept", reviewer="ann", now=LATER)
    with pytest.raises(
        ReviewError, match=rf"review item {item_id} was already decided: accept by ann"
    ):
        decide_review(served, item_id=item_id, decision="override", reviewer="bo", final_output="x")
    assert _labels(served) == {"r1": "fraud"}
    with served.session() as session:
        assert len(list_audit(session, target=f"review_item:{item_id}")) == 1


def test_unknown_items_decisions_and_reviewers_are_refused(served: Store) -> None:
    (item_id,) = _queue(served, _request("r1"))
    with pytest.raises(ReviewError, match="no review item 999999"):
        decide_review(served, item_id=999_999, decision="accept", reviewer="ann")
    with pytest.raises(ReviewError, match="unknown review decision 'maybe'; choose one of accept"):
        decide_review(served, item_id=item_id, decision="maybe", reviewer="ann")
    with pytest.raises(ReviewError, match="say who decides"):
        decide_review(served, item_id=item_id, decision="accept", reviewer=" ")
    for decision in ("accept", "escalate"):
        with pytest.raises(ReviewError, match=f"{decision} takes no output; override gives"):
            decide_review(
                served, item_id=item_id, decision=decision, reviewer="ann", final_output=1
            )
    assert [i.id for i in list_review_page(served).items] == [item_id]


def test_escalate_gives_no_label_and_notes_it_on_the_incident(served: Store) -> None:
    with served.session() as session:
        incident = add_incident(
            session,
            model=MODEL,
            title="fraud recall dropped",
            category="performance",
            severity=Severity.SEV2,
            policy_version="2026.1",
            detected_at=T0,
        )
        key, incident_id = incident.key, incident.id
    (item_id,) = _queue(served, _request("r1", incident=key))
    (queued,) = list_review_page(served, model=MODEL).items
    assert queued.incident == key

    item = decide_review(served, item_id=item_id, decision="escalate", reviewer="ann", now=LATER)
    assert (item.decision, item.final_output, item.incident) == ("escalate", None, key)
    assert _labels(served) == {}
    with served.session() as session:
        (event,) = list_timeline(session, incident_id=incident_id)
        (entry,) = list_audit(session, target=f"review_item:{item_id}")
    assert (event.kind, event.actor, event.at) == ("review_escalated", "person:ann", LATER)
    assert event.details == {"review_item": item_id, "request_id": "r1", "reason": "low_confidence"}
    assert entry.details["incident_id"] == incident_id


def test_guard_queue_entries_are_accepted_and_unknown_incidents_refused(served: Store) -> None:
    (item_id,) = _queue(served, {"request_id": "r2", "row": {"amount": 1.0}, "value": "legit"})
    (item,) = list_review_page(served).items
    assert (item.id, item.input, item.output, item.reason) == (
        item_id,
        {"amount": 1.0},
        "legit",
        "review",
    )
    with pytest.raises(ReviewError, match="no incident 'RL-2026-9999'"):
        _queue(served, _request("r3", incident="RL-2026-9999"))
    with pytest.raises(ReviewError, match="needs a request_id"):
        _queue(served, {"row": {}, "value": 1})
