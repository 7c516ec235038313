"""References: one row per model and content hash, latest wins."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from redline.store import ReferenceRow, add_reference, get_latest_reference

PAYLOAD = {"columns": {"age": {"kind": "numeric", "edges": [0.0, 18.5, 65.0]}}, "version": 1}


def test_the_same_reference_is_stored_once(session: Session) -> None:
    first = add_reference(session, model="m", content_hash="h1", payload=PAYLOAD)
    again = add_reference(session, model="m", content_hash="h1", payload={"ignored": True})
    assert again.id == first.id
    other_model = add_reference(session, model="n", content_hash="h1", payload=PAYLOAD)
    assert other_model.id != first.id
    assert session.scalar(select(func.count()).select_from(ReferenceRow)) == 2


def test_latest_reference_round_trips_its_payload(session: Session) -> None:
    old = add_reference(session, model="m", content_hash="h1", payload={"v": 1})
    old.created_at = datetime(2024, 1, 1, tzinfo=UTC)
    add_reference(session, model="m", content_hash="h2", payload=PAYLOAD)
    add_reference(session, model="n", content_hash="h3", payload={"v": 3})
    session.flush()
    session.expunge_all()

    latest = get_latest_reference(session, model="m")
    assert latest is not None
    assert (latest.content_hash, latest.payload) == ("h2", PAYLOAD)
    assert latest.created_at.tzinfo is UTC
    assert get_latest_reference(session, model="nobody") is None
