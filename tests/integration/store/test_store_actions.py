"""Containment actions (idempotent by key) and notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from redline.domain import ActionStatus, ActionType
from redline.errors import StoreError
from redline.store import (
    ActionRow,
    IncidentRow,
    add_action,
    add_notification,
    get_action,
    list_actions,
    list_notifications,
    save_action,
    save_notification,
)

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
TOKYO = timezone(timedelta(hours=9))


def _action(
    session: Session,
    key: str,
    *,
    incident_id: int | None = None,
    model: str = "fraud",
    type: ActionType = ActionType.ROUTE_FALLBACK,
    minutes: int = 0,
) -> tuple[ActionRow, bool]:
    return add_action(
        session,
        idempotency_key=key,
        model=model,
        type=type,
        trigger="policy:SEV2",
        params={"fallback": "rules-v3"},
        requested_at=T0 + timedelta(minutes=minutes),
        incident_id=incident_id,
        before_state={"mode": "primary", "revision": 4},
    )


def test_adding_an_action_twice_gives_back_the_first(
    session: Session, incident: IncidentRow
) -> None:
    action, created = _action(session, "RL-2026-0001:route_fallback", incident_id=incident.id)
    assert created
    session.expunge_all()
    again, created_again = _action(session, "RL-2026-0001:route_fallback", incident_id=incident.id)
    assert not created_again
    assert again.id == action.id
    assert session.scalar(select(func.count()).select_from(ActionRow)) == 1
    assert (again.type, again.status, again.trigger) == (
        "route_fallback",
        "requested",
        "policy:SEV2",
    )
    assert again.before_state == {"mode": "primary", "revision": 4}
    assert again.requested_at.tzinfo is UTC


def test_reusing_a_key_for_a_different_action_is_refused(session: Session) -> None:
    _action(session, "k")
    with pytest.raises(StoreError, match="'k' already belongs to action"):
        _action(session, "k", type=ActionType.KILL_SWITCH)
    with pytest.raises(ValueError, match="type 'reboot' is not one of"):
        _action(session, "k2", type="reboot")  # type: ignore[arg-type]


def test_an_action_moves_through_its_states(session: Session, incident: IncidentRow) -> None:
    action, _ = _action(session, "a", incident_id=incident.id)
    save_action(
        session,
        action_id=action.id,
        status=ActionStatus.APPLIED,
        applied_at=datetime(2026, 3, 1, 18, 31, tzinfo=TOKYO),
        after_state={"mode": "fallback", "revision": 5},
        snapshot_id="snap-1",
    )
    save_action(
        session,
        action_id=action.id,
        status=ActionStatus.VERIFIED,
        verified_at=T0 + timedelta(minutes=5),
        verification={"canaries": "passed", "route_states": {"guard-1": 5}},
    )
    revert, _ = add_action(
        session,
        idempotency_key="a:revert",
        model="fraud",
        type=ActionType.ROUTE_FALLBACK,
        trigger="person:bob",
        params={},
        requested_at=T0 + timedelta(hours=2),
        incident_id=incident.id,
        reverts_action_id=action.id,
    )
    session.expunge_all()

    stored = get_action(session, action_id=action.id)
    assert stored is not None
    assert stored.status == "verified"
    assert stored.applied_at == T0 + timedelta(minutes=1)
    assert stored.applied_at.tzinfo is UTC
    assert stored.after_state == {"mode": "fallback", "revision": 5}
    assert stored.verification == {"canaries": "passed", "route_states": {"guard-1": 5}}
    assert (stored.snapshot_id, stored.failed_at, stored.error) == ("snap-1", None, None)
    reloaded_revert = get_action(session, action_id=revert.id)
    assert reloaded_revert is not None
    assert reloaded_revert.reverts_action_id == action.id
    assert get_action(session, action_id=999_999) is None
    with pytest.raises(ValueError, match="unknown fields model"):
        save_action(session, action_id=action.id, model="x")  # type: ignore[call-arg]


def test_list_actions_filters_in_request_order(session: Session, incident: IncidentRow) -> None:
    late, _ = _action(session, "late", incident_id=incident.id, minutes=2)
    early, _ = _action(session, "early", incident_id=incident.id, minutes=1)
    other, _ = _action(session, "other", model="credit")
    save_action(session, action_id=late.id, status=ActionStatus.FAILED, error="timeout")

    def ids(**filters: object) -> list[int]:
        return [row.id for row in list_actions(session, **filters)]  # type: ignore[arg-type]

    assert ids() == [other.id, early.id, late.id]
    assert ids(incident_id=incident.id) == [early.id, late.id]
    assert ids(model="credit") == [other.id]
    assert ids(status=ActionStatus.FAILED) == [late.id]
    assert ids(limit=1) == [other.id]


def test_notifications_are_queued_then_marked(session: Session, incident: IncidentRow) -> None:
    page = add_notification(
        session,
        channel="pagerduty",
        dedup_key=incident.key,
        event="trigger",
        payload={"severity": "error"},
        incident_id=incident.id,
    )
    chat = add_notification(
        session, channel="slack", dedup_key=incident.key, event="trigger", payload={}
    )
    assert (page.status, page.attempts, page.created_at.tzinfo) == ("pending", 0, UTC)
    save_notification(
        session, notification_id=page.id, status="failed", attempts=1, last_error="503"
    )
    save_notification(session, notification_id=chat.id, status="sent", attempts=1, sent_at=T0)
    session.expunge_all()

    [failed] = list_notifications(session, status="failed")
    assert (failed.id, failed.last_error, failed.payload) == (page.id, "503", {"severity": "error"})
    assert [n.id for n in list_notifications(session)] == [page.id, chat.id]
    assert [n.id for n in list_notifications(session, incident_id=incident.id)] == [page.id]
    assert [n.sent_at for n in list_notifications(session, channel="slack")] == [T0]
    with pytest.raises(ValueError, match="event 'snooze' is not one of"):
        add_notification(session, channel="c", dedup_key="d", event="snooze", payload={})
    with pytest.raises(ValueError, match="status 'lost' is not one of"):
        save_notification(session, notification_id=page.id, status="lost")
