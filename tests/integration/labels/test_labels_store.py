"""Predictions, labels, review items and snoozes in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from labels_data import MODEL, T0, add_hour_window
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from redline.store import (
    add_labels,
    add_predictions,
    add_review_item,
    add_snooze,
    get_prediction,
    get_review_item,
    list_active_snoozes,
    list_labelled_predictions,
    list_review_items,
    list_unscored_labels,
    mark_labels_scored,
    save_review_item,
)


def test_predictions_are_added_in_bulk_and_repeats_are_ignored(session: Session) -> None:
    add_hour_window(session, "w1")
    rows = [(f"r{i}", {"score": i / 10, "class": "legit"}, "primary", T0) for i in range(5)]
    assert add_predictions(session, model=MODEL, window_id="w1", rows=rows) == 5
    again = [*rows[:2], ("r9", "fraud", "fallback", T0)]
    assert add_predictions(session, model=MODEL, window_id="w1", rows=again) == 1
    first = get_prediction(session, model=MODEL, request_id="r1")
    assert first is not None
    assert (first.value, first.route, first.window_id) == (
        {"score": 0.1, "class": "legit"},
        "primary",
        "w1",
    )
    assert first.served_at == T0
    assert get_prediction(session, model="other", request_id="r1") is None


def test_naive_served_times_are_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="naive"):
        add_predictions(
            session, model=MODEL, window_id=None, rows=[("r", 1, "primary", datetime(2026, 1, 1))]
        )


def test_labels_days_later_join_and_the_latest_label_counts(session: Session) -> None:
    add_hour_window(session, "w1")
    add_hour_window(session, "w2", T0 + timedelta(hours=1))
    add_predictions(
        session,
        model=MODEL,
        window_id="w1",
        rows=[("a", "legit", "primary", T0), ("b", "fraud", "primary", T0)],
    )
    add_predictions(
        session,
        model=MODEL,
        window_id="w2",
        rows=[("c", "legit", "fallback", T0 + timedelta(hours=1))],
    )
    week = T0 + timedelta(days=7)
    add_labels(
        session,
        model=MODEL,
        labels=[("a", "fraud", T0 + timedelta(days=3)), ("c", "legit", week)],
        source="feedback",
    )
    add_labels(
        session, model=MODEL, labels=[("a", "legit", week), ("zz", "fraud", week)], source="review"
    )
    add_labels(session, model="other", labels=[("b", "fraud", week)], source="feedback")

    joined = list_labelled_predictions(session, model=MODEL)
    assert [(p.request_id, p.value, p.route, p.label, p.window_id) for p in joined] == [
        ("a", "legit", "primary", "legit", "w1"),  # relabelled a week later
        ("c", "legit", "fallback", "legit", "w2"),
    ]
    assert [
        p.request_id for p in list_labelled_predictions(session, model=MODEL, window_id="w2")
    ] == ["c"]
    since = list_labelled_predictions(session, model=MODEL, since=T0 + timedelta(minutes=30))
    assert [p.request_id for p in since] == ["c"]


def test_label_sources_are_checked(session: Session) -> None:
    with pytest.raises(ValueError, match="source 'oracle'"):
        add_labels(session, model=MODEL, labels=[("a", 1, T0)], source="oracle")


def test_unscored_labels_name_their_window_until_scored(session: Session) -> None:
    add_hour_window(session, "w1")
    add_predictions(session, model=MODEL, window_id="w1", rows=[("a", 0, "primary", T0)])
    add_predictions(session, model=MODEL, window_id=None, rows=[("b", 1, "primary", T0)])
    assert list_unscored_labels(session, model=MODEL) == []

    day = T0 + timedelta(days=1)
    labels = add_labels(
        session,
        model=MODEL,
        labels=[("a", 0, day), ("b", 1, day), ("later", 1, day)],
        source="feedback",
    )
    unscored = list_unscored_labels(session, model=MODEL)
    assert [(u.request_id, u.window_id, u.received_at) for u in unscored] == [
        ("a", "w1", day),
        ("b", None, day),  # served outside any window
        ("later", None, day),  # its prediction is not stored yet
    ]
    assert mark_labels_scored(session, label_ids=[labels[0].id, labels[1].id], at=day) == 2
    assert [u.request_id for u in list_unscored_labels(session, model=MODEL)] == ["later"]

    add_predictions(session, model=MODEL, window_id="w1", rows=[("later", 1, "primary", T0)])
    relabel = add_labels(session, model=MODEL, labels=[("a", 1, day)], source="review")
    unscored = list_unscored_labels(session, model=MODEL)
    assert [(u.id, u.window_id) for u in unscored] == [(labels[2].id, "w1"), (relabel[0].id, "w1")]
    assert list_unscored_labels(session, model=MODEL, limit=1)[0].id == labels[2].id


def test_review_items_are_added_listed_and_saved(session: Session) -> None:
    first = add_review_item(
        session,
        model=MODEL,
        request_id="r1",
        reason="low_confidence",
        input={"amount": 12.5},
        output="fraud",
        confidence=0.51,
        threshold=0.6,
        created_at=T0,
    )
    add_review_item(
        session, model="credit", request_id="r2", reason="filter", input={}, output=None
    )
    assert first.status == "pending"
    assert first.decision is None
    assert [i.request_id for i in list_review_items(session, status="pending", model=MODEL)] == [
        "r1"
    ]
    saved = save_review_item(
        session,
        item_id=first.id,
        status="decided",
        decision="accept",
        final_output="fraud",
        reviewer="ann",
        decided_at=T0,
    )
    assert (saved.decision, saved.final_output) == ("accept", "fraud")
    assert [i.request_id for i in list_review_items(session, status="pending")] == ["r2"]
    locked = get_review_item(session, item_id=first.id, lock=True)
    assert locked is not None
    assert locked.decided_at == T0
    with pytest.raises(ValueError, match="decision 'maybe'"):
        save_review_item(session, item_id=first.id, decision="maybe")
    with pytest.raises(ValueError, match="status 'open'"):
        list_review_items(session, status="open")


def test_review_items_refuse_an_unknown_incident(session: Session) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        add_review_item(
            session,
            model=MODEL,
            request_id="r",
            reason="x",
            input={},
            output=1,
            incident_id=999_999,
        )


def test_active_snoozes_are_those_not_expired(session: Session) -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    add_snooze(
        session,
        fingerprint_pattern="fraud|latency|*",
        until=now + timedelta(hours=2),
        reason="deploy",
        created_by="person:ann",
    )
    add_snooze(
        session,
        fingerprint_pattern="*",
        until=now - timedelta(seconds=1),
        reason="old",
        created_by="person:ann",
    )
    assert [s.fingerprint_pattern for s in list_active_snoozes(session, now=now)] == [
        "fraud|latency|*"
    ]
    assert list_active_snoozes(session, now=now + timedelta(hours=3)) == []
    with pytest.raises(ValueError, match="non-empty reason"):
        add_snooze(
            session, fingerprint_pattern="*", until=now, reason="  ", created_by="person:ann"
        )
